// attention: causal scores, softmax and the weighted sum of values, forward,
// and one backward for the three together (ops.hpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "model/ops.hpp"

namespace hc::ops {

// scores [B,H,Q,T] = q . k / sqrt(E) for key <= row, -inf after it.
template <class S>
void scores_forward(const Dims& d, int B, int Q, const int32_t* rows, const S* q, const S* k, S* scores) {
  const S scale = S(1) / std::sqrt(S(d.E));
  const S neg_inf = -std::numeric_limits<S>::infinity();
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < d.H; ++h)
      for (int i = 0; i < Q; ++i) {
        const int row = rows[b * Q + i];
        const S* qi = q + (size_t(b * Q + i) * d.H + h) * d.E;
        S* s = scores + ((size_t(b) * d.H + h) * Q + i) * d.T;
        for (int j = 0; j < d.T; ++j) {
          if (j > row) {
            s[j] = neg_inf;
            continue;
          }
          const S* kj = k + (size_t(b * d.T + j) * d.H + h) * d.E;
          S acc = 0;
          for (int e = 0; e < d.E; ++e) acc += qi[e] * kj[e];
          s[j] = acc * scale;
        }
      }
}

// pattern = softmax over keys of each score row (-inf keys get weight 0).
template <class S>
void softmax_forward(size_t n_rows, int T, const S* scores, S* pattern) {
  for (size_t r = 0; r < n_rows; ++r) {
    const S* s = scores + r * T;
    S* p = pattern + r * T;
    S m = -std::numeric_limits<S>::infinity();
    for (int j = 0; j < T; ++j) m = std::max(m, s[j]);
    S sum = 0;
    for (int j = 0; j < T; ++j) {
      p[j] = std::exp(s[j] - m);
      sum += p[j];
    }
    const S inv = S(1) / sum;
    for (int j = 0; j < T; ++j) p[j] *= inv;
  }
}

// z[b,i,h,:] = sum_j pattern[b,h,i,j] v[b,j,h,:]
template <class S>
void mix_forward(const Dims& d, int B, int Q, const S* pattern, const S* v, S* z) {
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < Q; ++i)
      for (int h = 0; h < d.H; ++h) {
        S* zi = z + (size_t(b * Q + i) * d.H + h) * d.E;
        std::fill(zi, zi + d.E, S(0));
        const S* p = pattern + ((size_t(b) * d.H + h) * Q + i) * d.T;
        for (int j = 0; j < d.T; ++j) {
          if (p[j] == S(0)) continue;
          const S* vj = v + (size_t(b * d.T + j) * d.H + h) * d.E;
          for (int e = 0; e < d.E; ++e) zi[e] += p[j] * vj[e];
        }
      }
}

// Backward of mix, softmax and scores together: from dz into dq, dk, dv.
template <class S>
void attention_backward(const Dims& d, int B, int Q, const S* q, const S* k, const S* v, const S* pattern,
                        const S* dz, S* dq, S* dk, S* dv, S* dp /* scratch [T] */) {
  const S scale = S(1) / std::sqrt(S(d.E));
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < d.H; ++h)
      for (int i = 0; i < Q; ++i) {
        const S* p = pattern + ((size_t(b) * d.H + h) * Q + i) * d.T;
        const size_t qi_off = (size_t(b * Q + i) * d.H + h) * d.E;
        const S* dzi = dz + qi_off;
        S dot = 0;  // sum_j p_j dp_j
        for (int j = 0; j < d.T; ++j) {
          if (p[j] == S(0)) {
            dp[j] = 0;
            continue;
          }
          const size_t kj_off = (size_t(b * d.T + j) * d.H + h) * d.E;
          S acc = 0;
          for (int e = 0; e < d.E; ++e) {
            acc += dzi[e] * v[kj_off + e];
            dv[kj_off + e] += p[j] * dzi[e];
          }
          dp[j] = acc;
          dot += p[j] * acc;
        }
        for (int j = 0; j < d.T; ++j) {
          if (p[j] == S(0)) continue;
          const S ds = p[j] * (dp[j] - dot) * scale;  // d score, with the 1/sqrt(E)
          const size_t kj_off = (size_t(b * d.T + j) * d.H + h) * d.E;
          for (int e = 0; e < d.E; ++e) {
            dq[qi_off + e] += ds * k[kj_off + e];
            dk[kj_off + e] += ds * q[qi_off + e];
          }
        }
      }
}

#define HC_INSTANTIATE(S)                                                                                        \
  template void scores_forward<S>(const Dims&, int, int, const int32_t*, const S*, const S*, S*);               \
  template void softmax_forward<S>(size_t, int, const S*, S*);                                                  \
  template void mix_forward<S>(const Dims&, int, int, const S*, const S*, S*);                                  \
  template void attention_backward<S>(const Dims&, int, int, const S*, const S*, const S*, const S*, const S*, \
                                      S*, S*, S*, S*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc::ops
