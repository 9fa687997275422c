// embed: token and positional embedding, forward and backward (ops.hpp).
#include <algorithm>

#include "model/ops.hpp"

namespace hc::ops {

template <class S>
void embed_forward(const Dims& d, int B, const int32_t* tokens, const S* WE, const S* WP, S* embed, S* pos) {
  const size_t NT = size_t(B) * d.T;
  for (size_t n = 0; n < NT; ++n) {
    std::copy_n(WE + size_t(tokens[n]) * d.D, d.D, embed + n * d.D);
    const int t = int(n % d.T);
    if (WP) std::copy_n(WP + size_t(t) * d.D, d.D, pos + n * d.D);
    else std::fill_n(pos + n * d.D, d.D, S(0));
  }
}

template <class S>
void embed_rows_forward(const Dims& d, int B, int Q, const int32_t* rows, const int32_t* tokens, const S* WE,
                        const S* WP, S* xq) {
  const size_t NQ = size_t(B) * Q;
  for (size_t n = 0; n < NQ; ++n) {
    const int b = int(n / Q), row = rows[n];
    const int tok = tokens[size_t(b) * d.T + row];
    set_sum(xq + n * d.D, WE + size_t(tok) * d.D, WP ? WP + size_t(row) * d.D : nullptr, d.D);
  }
}

template <class S>
void embed_backward(const Dims& d, int B, int Q, const int32_t* rows, const int32_t* tokens, const S* dx, S* dWE,
                    S* dWP) {
  const size_t NQ = size_t(B) * Q;
  for (size_t n = 0; n < NQ; ++n) {
    const int b = int(n / Q), row = rows[n];
    const int tok = tokens[size_t(b) * d.T + row];
    accumulate(dWE + size_t(tok) * d.D, dx + n * d.D, d.D);
    if (dWP) accumulate(dWP + size_t(row) * d.D, dx + n * d.D, d.D);
  }
}

#define HC_INSTANTIATE(S)                                                                                       \
  template void embed_forward<S>(const Dims&, int, const int32_t*, const S*, const S*, S*, S*);                \
  template void embed_rows_forward<S>(const Dims&, int, int, const int32_t*, const int32_t*, const S*, const S*, \
                                      S*);                                                                      \
  template void embed_backward<S>(const Dims&, int, int, const int32_t*, const int32_t*, const S*, S*, S*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc::ops
