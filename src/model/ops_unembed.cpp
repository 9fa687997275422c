// unembed and the cross-entropy loss, forward and backward (ops.hpp).
#include <algorithm>
#include <cmath>

#include "model/ops.hpp"

namespace hc::ops {

template <class S>
void unembed_forward(const Dims& d, int B, int Q, const S* resid, const S* WU, const S* bU, S* logits) {
  const size_t NQ = size_t(B) * Q;
  mat(logits, NQ, d.V, d.V).noalias() = cmat(resid, NQ, d.D, d.D) * cmat(WU, d.D, d.V, d.V);
  if (bU) add_bias_rows(logits, NQ, d.V, bU);
}

template <class S>
void unembed_backward(const Dims& d, int B, int Q, const S* resid, const S* WU, const S* dlogits, S* dWU, S* dbU,
                      S* dresid) {
  const size_t NQ = size_t(B) * Q;
  auto dL = cmat(dlogits, NQ, d.V, d.V);
  mat(dWU, d.D, d.V, d.V).noalias() += cmat(resid, NQ, d.D, d.D).transpose() * dL;
  if (dbU) add_colsum(dlogits, NQ, d.V, dbU);
  mat(dresid, NQ, d.D, d.D).noalias() += dL * cmat(WU, d.D, d.V, d.V).transpose();
}

template <class S>
double cross_entropy(size_t n_rows, int V, const S* logits, const int32_t* targets, S scale, S* dlogits) {
  double loss = 0;
  for (size_t r = 0; r < n_rows; ++r) {
    const S* z = logits + r * V;
    S* g = dlogits + r * V;
    const int t = targets[r];
    if (t < 0) {
      std::fill_n(g, V, S(0));
      continue;
    }
    S m = z[0];
    for (int v = 1; v < V; ++v) m = std::max(m, z[v]);
    S sum = 0;
    for (int v = 0; v < V; ++v) {
      g[v] = std::exp(z[v] - m);
      sum += g[v];
    }
    loss += double(std::log(sum) + m - z[t]);
    const S inv = scale / sum;
    for (int v = 0; v < V; ++v) g[v] *= inv;
    g[t] -= scale;
  }
  return loss;
}

#define HC_INSTANTIATE(S)                                                                                   \
  template void unembed_forward<S>(const Dims&, int, int, const S*, const S*, const S*, S*);               \
  template void unembed_backward<S>(const Dims&, int, int, const S*, const S*, const S*, S*, S*, S*);      \
  template double cross_entropy<S>(size_t, int, const S*, const int32_t*, S, S*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc::ops
