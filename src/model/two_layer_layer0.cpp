// Layer 0 of the folded two-layer path (two_layer.hpp, two_layer_layer0.hpp):
// attention scores from the per-step tables, the causal softmax and the mix,
// and their backward. Its outputs feed layer 1 in two_layer.cpp.
#include "model/two_layer_layer0.hpp"

#include <algorithm>
#include <vector>

#include "model/ops.hpp"

namespace hc {

using namespace ops;

namespace {

using two_layer_kernels::exp_in_place;

// The head-width loops below take E as a template argument kE when it is a
// common size (8, 16), so that they unroll and vectorise; kE = 0: E at run time.
// The order of every sum is the same either way.

// out[0..E) = sum_{j<n} p[j] * v[j*stride ..]
template <int kE, class S>
inline void mix_row(const S* p, int n, const S* v, size_t stride, int E_, S* __restrict out) {
  const int E = kE > 0 ? kE : E_;
  std::fill_n(out, E, S(0));
  for (int j = 0; j < n; ++j) {
    const S pj = p[j];
    const S* __restrict vj = v + j * stride;
    for (int e = 0; e < E; ++e) out[e] += pj * vj[e];
  }
}

// ---- layer 0 attention: scores from the tables, softmax, mix ----

// z_i = sum_{j <= i} p[i,j] v_j for every query i < T: one head's Z = P V from
// its causal pattern block pat [T,T] (zero past the diagonal). For a common head
// width four query rows run at once, each summing over j in order in registers
// (widest SIMD packets that divide E), up to the group's last row: the zeros
// past a row's diagonal add exactly nothing, so the sums are those of mix_row.
template <int kE, class S>
inline void layer0_mix(int T, int E_, size_t stride, const S* __restrict pat, const S* __restrict v,
                       S* __restrict z) {
  if constexpr (kE > 0) {
    namespace ei = Eigen::internal;
    using PE = typename ei::find_best_packet<S, kE>::type;
    constexpr int WE = int(sizeof(PE) / sizeof(S)), NE = kE / WE, R = 4;
    static_assert(NE * WE == kE);
    int i0 = 0;
    for (; i0 + R <= T; i0 += R) {
      PE acc[R][NE];
      for (int r = 0; r < R; ++r)
        for (int k = 0; k < NE; ++k) acc[r][k] = ei::pset1<PE>(S(0));
      for (int j = 0; j < i0 + R; ++j) {
        const S* __restrict vj = v + size_t(j) * stride;
        PE vk[NE];
        for (int k = 0; k < NE; ++k) vk[k] = ei::ploadu<PE>(vj + k * WE);
        for (int r = 0; r < R; ++r) {
          const PE p = ei::pset1<PE>(pat[size_t(i0 + r) * T + j]);
          for (int k = 0; k < NE; ++k) acc[r][k] = ei::pmadd(p, vk[k], acc[r][k]);
        }
      }
      for (int r = 0; r < R; ++r)
        for (int k = 0; k < NE; ++k) ei::pstoreu(z + size_t(i0 + r) * stride + k * WE, acc[r][k]);
    }
    for (; i0 < T; ++i0) mix_row<kE>(pat + size_t(i0) * T, i0 + 1, v, stride, E_, z + size_t(i0) * stride);
  } else {
    for (int i = 0; i < T; ++i) mix_row<kE>(pat + size_t(i) * T, i + 1, v, stride, E_, z + size_t(i) * stride);
  }
}

// dst[idx[j]] += src[j] for j in [0, n), in order of j.
template <class S>
inline void scatter_add(S* dst, const int32_t* idx, const S* __restrict src, int n) {
  for (int j = 0; j < n; ++j) dst[idx[j]] += src[j];
}

// dv_j += sum_{i >= j} p[i,j] dz_i (i in increasing order) for each key j < T:
// one head's dV = P^T dZ. For a common head width the sum for a key runs in
// registers, in the widest SIMD packets that divide E.
template <int kE, class S>
inline void layer0_dv(int T, int E_, size_t stride, const S* __restrict pat, const S* __restrict dz,
                      S* __restrict dv) {
  if constexpr (kE > 0) {
    namespace ei = Eigen::internal;
    using PE = typename ei::find_best_packet<S, kE>::type;
    constexpr int WE = int(sizeof(PE) / sizeof(S)), NE = kE / WE;
    static_assert(NE * WE == kE);
    for (int j = 0; j < T; ++j) {
      PE acc[NE];
      for (int k = 0; k < NE; ++k) acc[k] = ei::pset1<PE>(S(0));
      for (int i = j; i < T; ++i) {
        const PE pij = ei::pset1<PE>(pat[size_t(i) * T + j]);
        const S* __restrict dzi = dz + size_t(i) * stride;
        for (int k = 0; k < NE; ++k) acc[k] = ei::pmadd(pij, ei::ploadu<PE>(dzi + k * WE), acc[k]);
      }
      S* __restrict dvj = dv + size_t(j) * stride;
      for (int k = 0; k < NE; ++k) ei::pstoreu(dvj + k * WE, ei::padd(ei::ploadu<PE>(dvj + k * WE), acc[k]));
    }
  } else {
    for (int i = 0; i < T; ++i)
      for (int j = 0; j <= i; ++j) {
        const S pij = pat[size_t(i) * T + j];
        S* __restrict dvj = dv + size_t(j) * stride;
        const S* __restrict dzi = dz + size_t(i) * stride;
        for (int e = 0; e < E_; ++e) dvj[e] += pij * dzi[e];
      }
  }
}

}  // namespace

// Per (example, head) the causal [T,T] pattern block is built whole: each row's
// scores less its max, then one exp over the block (SIMD, exp_in_place), then
// zeros past the diagonal, the rows summed four at a time (each in order; the
// zeros add nothing) and normalised; then the mix, layer0_mix.
template <int kE, class S>
void layer0_forward(const Dims& d, const TwoLayerTables<S>& t, int B, const int32_t* tokens, S* pattern,
                    const S* v0, S* z0) {
  const bool pos = !t.pp.empty();
  const int T = d.T;
  const size_t TT = size_t(T) * T;
  for (int b = 0; b < B; ++b) {
    const int32_t* tok = tokens + size_t(b) * T;
    for (int h = 0; h < d.H; ++h) {
      S* blk = pattern + (size_t(b) * d.H + h) * TT;
      for (int i = 0; i < T; ++i) {
        S* __restrict s = blk + size_t(i) * T;
        const S* __restrict tt = t.tt.data() + (size_t(h) * d.V + tok[i]) * d.V;
        if (pos) {
          const S* __restrict tp = t.tp.data() + (size_t(h) * d.V + tok[i]) * T;
          const S* __restrict pt = t.pt.data() + (size_t(h) * T + i) * d.V;
          const S* __restrict pp = t.pp.data() + (size_t(h) * T + i) * T;
          for (int j = 0; j <= i; ++j) s[j] = tt[tok[j]] + tp[j] + pt[tok[j]] + pp[j];
        } else {
          for (int j = 0; j <= i; ++j) s[j] = tt[tok[j]];
        }
        S m = -std::numeric_limits<S>::infinity();
        for (int j = 0; j <= i; ++j) m = std::max(m, s[j]);
        for (int j = 0; j <= i; ++j) s[j] -= m;
        std::fill(s + i + 1, s + T, S(0));
      }
      exp_in_place(blk, int(TT));
      for (int i = 0; i < T; ++i) std::fill(blk + size_t(i) * T + i + 1, blk + size_t(i + 1) * T, S(0));
      constexpr int R = 4;
      for (int i0 = 0; i0 < T; i0 += R) {
        const int nr = std::min(R, T - i0), n = i0 + nr;
        S sum[R] = {};
        for (int j = 0; j < n; ++j)
          for (int r = 0; r < nr; ++r) sum[r] += blk[size_t(i0 + r) * T + j];
        for (int r = 0; r < nr; ++r) {
          S* __restrict p = blk + size_t(i0 + r) * T;
          const S inv = S(1) / sum[r];
          for (int j = 0; j <= i0 + r; ++j) p[j] *= inv;
        }
      }
      const size_t off = size_t(b) * T * d.HE + h * d.E;
      layer0_mix<kE>(T, d.E, size_t(d.HE), blk, v0 + off, z0 + off);
    }
  }
}

// From dz0 [B,T,HE]: dv0 [B,T,HE] (zeroed by the caller) and the score-table gradients.
// Per (example, head): the values are transposed once into packet-wide key
// blocks, vt[block][e][lane] (keys past T zero), so that the dz.v dots run across
// the keys a packet at a time (each lane summed over e in order, as before)
// rather than as one horizontal sum per key; the softmax backward gives the row
// of ds, zero past the query row; then the tables indexed by key position (tp,
// pp) take whole rows as dense adds (adding zeros past the query row) and tt and
// pt, indexed by key token, scatter. Every sum keeps its order.
template <int kE, class S>
void layer0_backward(const Dims& d, int B, const int32_t* tokens, const S* pattern, const S* v0, const S* dz0,
                     S* dv0, TwoLayerGrads<S>& g) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<S>::type;
  constexpr int W = ei::packet_traits<S>::size;
  const bool pos = !g.pp.empty();
  const int E = kE > 0 ? kE : d.E, T = d.T, Tp = (T + W - 1) / W * W;
  std::vector<S> buf(size_t(E) * Tp + Tp, S(0));
  S* __restrict vt = buf.data();
  S* __restrict dsr = vt + size_t(E) * Tp;
  for (int b = 0; b < B; ++b) {
    const int32_t* tok = tokens + size_t(b) * T;
    for (int h = 0; h < d.H; ++h) {
      const size_t off = size_t(b) * T * d.HE + h * d.E;
      const S* v = v0 + off;
      const S* dz = dz0 + off;
      const S* pat = pattern + (size_t(b) * d.H + h) * T * T;
      for (int j = 0; j < T; ++j) {
        S* vtj = vt + size_t(j / W) * E * W + j % W;
        for (int e = 0; e < E; ++e) vtj[size_t(e) * W] = v[size_t(j) * d.HE + e];
      }
      for (int i = 0; i < T; ++i) {
        const int n = i + 1;
        const S* __restrict p = pat + size_t(i) * T;
        const S* __restrict dzi = dz + size_t(i) * d.HE;
        // dsr[j] = dz_i . v_j, a packet of keys at a time.
        for (int j0 = 0; j0 < n; j0 += W) {
          const S* __restrict vb = vt + size_t(j0) * E;
          Packet acc = ei::pset1<Packet>(S(0));
          for (int e = 0; e < E; ++e) acc = ei::pmadd(ei::pset1<Packet>(dzi[e]), ei::ploadu<Packet>(vb + e * W), acc);
          ei::pstoreu(dsr + j0, acc);
        }
        // Softmax backward: ds_j = p_j (dz.v_j - sum_k p_k dz.v_k); 0 past the query row.
        S dot = 0;
        for (int j = 0; j < n; ++j) dot += p[j] * dsr[j];
        for (int j = 0; j < n; ++j) dsr[j] = p[j] * (dsr[j] - dot);
        std::fill(dsr + n, dsr + Tp, S(0));
        scatter_add(g.tt.data() + (size_t(h) * d.V + tok[i]) * d.V, tok, dsr, n);
        if (!pos) continue;
        scatter_add(g.pt.data() + (size_t(h) * T + i) * d.V, tok, dsr, n);
        accumulate(g.tp.data() + (size_t(h) * d.V + tok[i]) * T, dsr, T);
        accumulate(g.pp.data() + (size_t(h) * T + i) * T, dsr, T);
      }
      layer0_dv<kE>(T, E, size_t(d.HE), pat, dz, dv0 + off);
    }
  }
}

#define HC_LAYER0(KE, S)                                                                                      \
  template void layer0_forward<KE, S>(const ops::Dims&, const TwoLayerTables<S>&, int, const int32_t*, S*, const S*, \
                                      S*);                                                                    \
  template void layer0_backward<KE, S>(const ops::Dims&, int, const int32_t*, const S*, const S*, const S*, S*,     \
                                       TwoLayerGrads<S>&);
HC_LAYER0(0, float)
HC_LAYER0(8, float)
HC_LAYER0(16, float)
HC_LAYER0(0, double)
HC_LAYER0(8, double)
HC_LAYER0(16, double)
#undef HC_LAYER0

}  // namespace hc
