// output projection and the residual add, forward and backward (ops.hpp).
#include "model/ops.hpp"

namespace hc::ops {

template <class S>
void out_proj_forward(const Dims& d, int B, int Q, const S* z, const S* WO, const S* bO, S* attn_out) {
  const size_t NQ = size_t(B) * Q;
  mat(attn_out, NQ, d.D, d.D).noalias() = cmat(z, NQ, d.HE, d.HE) * cmat(WO, d.HE, d.D, d.D);
  if (bO) add_bias_rows(attn_out, NQ, d.D, bO);
}

template <class S>
void out_proj_heads_forward(const Dims& d, int B, int Q, const S* z, const S* WO, S* result) {
  const size_t NQ = size_t(B) * Q;
  for (int h = 0; h < d.H; ++h)
    mat(result + size_t(h) * d.D, NQ, d.D, size_t(d.H) * d.D).noalias() =
        cmat(z + h * d.E, NQ, d.E, d.HE) * cmat(WO + size_t(h) * d.E * d.D, d.E, d.D, d.D);
}

template <class S>
void out_proj_sum_forward(const Dims& d, int B, int Q, const S* result, const S* bO, S* attn_out) {
  const size_t NQ = size_t(B) * Q;
  auto out = mat(attn_out, NQ, d.D, d.D);
  out.setZero();
  for (int h = 0; h < d.H; ++h) out += cmat(result + size_t(h) * d.D, NQ, d.D, size_t(d.H) * d.D);
  if (bO) add_bias_rows(attn_out, NQ, d.D, bO);
}

template <class S>
void residual_forward(size_t n, const S* a, const S* b, S* out) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

template <class S>
void out_proj_backward(const Dims& d, int B, int Q, const S* z, const S* WO, const S* dresid, S* dWO, S* dbO, S* dz,
                       S* dxq) {
  const size_t NQ = size_t(B) * Q;
  auto dR = cmat(dresid, NQ, d.D, d.D);
  if (dbO) add_colsum(dresid, NQ, d.D, dbO);
  mat(dWO, d.HE, d.D, d.D).noalias() += cmat(z, NQ, d.HE, d.HE).transpose() * dR;
  mat(dz, NQ, d.HE, d.HE).noalias() += dR * cmat(WO, d.HE, d.D, d.D).transpose();
  accumulate(dxq, dresid, int(NQ * d.D));  // resid_post = xq + attn_out: the residual path
}

#define HC_INSTANTIATE(S)                                                                                     \
  template void out_proj_forward<S>(const Dims&, int, int, const S*, const S*, const S*, S*);                \
  template void out_proj_heads_forward<S>(const Dims&, int, int, const S*, const S*, S*);                    \
  template void out_proj_sum_forward<S>(const Dims&, int, int, const S*, const S*, S*);                      \
  template void residual_forward<S>(size_t, const S*, const S*, S*);                                         \
  template void out_proj_backward<S>(const Dims&, int, int, const S*, const S*, const S*, S*, S*, S*, S*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc::ops
