#pragma once
// Layer 0 of the folded two-layer path (two_layer.hpp), in
// two_layer_layer0.cpp; the softmax kernels here are shared with layer 1.
// kE is the head width when it is a common size (8, 16; the loops unroll and
// vectorise), else 0 (E at run time); the order of every sum is the same
// either way.
#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <limits>

#include "model/ops.hpp"
#include "model/two_layer.hpp"

namespace hc {
namespace two_layer_kernels {

// x[0..n) = exp(x[0..n)) in place. Every element goes through Eigen's packet
// exp (SIMD, within a couple of ulp of std::exp; a row max still gives 1), the last
// n % W through a zero-padded packet, so an element's bits depend only on its
// value, never on where it falls in the row or in memory.
template <class S>
inline void exp_in_place(S* x, int n) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<S>::type;
  constexpr int W = ei::packet_traits<S>::size;
  int j = 0;
  for (; j + W <= n; j += W) ei::pstoreu(x + j, ei::pexp(ei::ploadu<Packet>(x + j)));
  if (j < n) {
    S buf[W] = {};
    std::copy(x + j, x + n, buf);
    ei::pstoreu(buf, ei::pexp(ei::ploadu<Packet>(buf)));
    std::copy(buf, buf + (n - j), x + j);
  }
}

// p[0..n) = softmax of s[0..n) (in place allowed).
template <class S>
inline void softmax_row(const S* s, int n, S* p) {
  S m = -std::numeric_limits<S>::infinity();
  for (int j = 0; j < n; ++j) m = std::max(m, s[j]);
  for (int j = 0; j < n; ++j) p[j] = s[j] - m;
  exp_in_place(p, n);
  S sum = 0;
  for (int j = 0; j < n; ++j) sum += p[j];
  const S inv = S(1) / sum;
  for (int j = 0; j < n; ++j) p[j] *= inv;
}

}  // namespace two_layer_kernels

// pattern [B,H,T,T] (zero past each query row) and z0 [B,T,HE] = P V from the
// score tables and v0 [B,T,HE].
template <int kE, class S>
void layer0_forward(const ops::Dims& d, const TwoLayerTables<S>& t, int B, const int32_t* tokens, S* pattern,
                    const S* v0, S* z0);

// From dz0 [B,T,HE]: dv0 [B,T,HE] (zeroed by the caller) and the score-table
// gradients in g.
template <int kE, class S>
void layer0_backward(const ops::Dims& d, int B, const int32_t* tokens, const S* pattern, const S* v0, const S* dz0,
                     S* dv0, TwoLayerGrads<S>& g);

}  // namespace hc
