// qkv: the query-row gather and the q, k, v projections, forward and backward
// (ops.hpp); for a factored layer 0 the same from the factor tables, which are
// built and turned back into weight gradients here too.
#include <algorithm>

#include "model/ops.hpp"

namespace hc {
namespace ops {

template <class S>
void gather_rows_forward(const Dims& d, int B, int Q, const int32_t* rows, const S* x, S* xq) {
  const size_t NQ = size_t(B) * Q;
  for (size_t n = 0; n < NQ; ++n) {
    const int b = int(n / Q);
    std::copy_n(x + (size_t(b) * d.T + rows[n]) * d.D, d.D, xq + n * d.D);
  }
}

template <class S>
void gather_rows_backward(const Dims& d, int B, int Q, const int32_t* rows, const S* dxq, S* dx) {
  const size_t NQ = size_t(B) * Q, NT = size_t(B) * d.T;
  auto dX = mat(dx, NT, d.D, d.D);
  auto dXq = cmat(dxq, NQ, d.D, d.D);
  for (size_t n = 0; n < NQ; ++n) {
    const int b = int(n / Q);
    dX.row(Eigen::Index(size_t(b) * d.T + rows[n])) += dXq.row(Eigen::Index(n));
  }
}

template <class S>
void qkv_forward(const Dims& d, int B, int Q, const S* x, const S* xq, const S* WQ, const S* WK, const S* WV,
                 const S* bQ, const S* bK, const S* bV, S* q, S* k, S* v) {
  const size_t NQ = size_t(B) * Q, NT = size_t(B) * d.T;
  auto X = cmat(x, NT, d.D, d.D);
  auto Xq = cmat(xq, NQ, d.D, d.D);
  for (int h = 0; h < d.H; ++h) {
    const size_t w = size_t(h) * d.D * d.E;
    mat(q + h * d.E, NQ, d.E, d.HE).noalias() = Xq * cmat(WQ + w, d.D, d.E, d.E);
    mat(k + h * d.E, NT, d.E, d.HE).noalias() = X * cmat(WK + w, d.D, d.E, d.E);
    mat(v + h * d.E, NT, d.E, d.HE).noalias() = X * cmat(WV + w, d.D, d.E, d.E);
  }
  if (bQ) {
    add_bias_rows(q, NQ, d.HE, bQ);
    add_bias_rows(k, NT, d.HE, bK);
    add_bias_rows(v, NT, d.HE, bV);
  }
}

template <class S>
void qkv_backward(const Dims& d, int B, int Q, const S* x, const S* xq, const S* WQ, const S* WK, const S* WV,
                  const S* dq, const S* dk, const S* dv, S* dWQ, S* dWK, S* dWV, S* dbQ, S* dbK, S* dbV, S* dxq,
                  S* dx) {
  const size_t NQ = size_t(B) * Q, NT = size_t(B) * d.T;
  if (dbQ) {
    add_colsum(dq, NQ, d.HE, dbQ);
    add_colsum(dk, NT, d.HE, dbK);
    add_colsum(dv, NT, d.HE, dbV);
  }
  auto X = cmat(x, NT, d.D, d.D);
  auto Xq = cmat(xq, NQ, d.D, d.D);
  auto dXq = mat(dxq, NQ, d.D, d.D);
  auto dX = mat(dx, NT, d.D, d.D);
  for (int h = 0; h < d.H; ++h) {  // q = xq W_Q
    const size_t w = size_t(h) * d.D * d.E;
    auto dQh = cmat(dq + h * d.E, NQ, d.E, d.HE);
    mat(dWQ + w, d.D, d.E, d.E).noalias() += Xq.transpose() * dQh;
    dXq.noalias() += dQh * cmat(WQ + w, d.D, d.E, d.E).transpose();
  }
  const S* W[2] = {WK, WV};
  const S* dY[2] = {dk, dv};
  S* dW[2] = {dWK, dWV};
  for (int m = 0; m < 2; ++m)  // k = x W_K, v = x W_V
    for (int h = 0; h < d.H; ++h) {
      const size_t w = size_t(h) * d.D * d.E;
      auto dYh = cmat(dY[m] + h * d.E, NT, d.E, d.HE);
      mat(dW[m] + w, d.D, d.E, d.E).noalias() += X.transpose() * dYh;
      dX.noalias() += dYh * cmat(W[m] + w, d.D, d.E, d.E).transpose();
    }
}

template <class S>
void qkv_tables_forward(const Dims& d, int B, int Q, const int32_t* rows, const int32_t* tokens,
                        const EmbedTables<S>& t, const S* bQ, const S* bK, const S* bV, S* q, S* k, S* v) {
  const bool pos = !t.qp.empty();
  const size_t NQ = size_t(B) * Q, NT = size_t(B) * d.T;
  for (size_t n = 0; n < NQ; ++n) {
    const int b = int(n / Q), row = rows[n];
    const int tok = tokens[size_t(b) * d.T + row];
    set_sum(q + n * d.HE, t.qe.data() + size_t(tok) * d.HE, pos ? t.qp.data() + size_t(row) * d.HE : nullptr, d.HE);
  }
  for (size_t n = 0; n < NT; ++n) {
    const int p = int(n % d.T), tok = tokens[n];
    set_sum(k + n * d.HE, t.ke.data() + size_t(tok) * d.HE, pos ? t.kp.data() + size_t(p) * d.HE : nullptr, d.HE);
    set_sum(v + n * d.HE, t.ve.data() + size_t(tok) * d.HE, pos ? t.vp.data() + size_t(p) * d.HE : nullptr, d.HE);
  }
  if (bQ) {
    add_bias_rows(q, NQ, d.HE, bQ);
    add_bias_rows(k, NT, d.HE, bK);
    add_bias_rows(v, NT, d.HE, bV);
  }
}

template <class S>
void qkv_tables_backward(const Dims& d, int B, int Q, const int32_t* rows, const int32_t* tokens, const S* dq,
                         const S* dk, const S* dv, TableGrads<S>& tg, S* dbQ, S* dbK, S* dbV) {
  const bool pos = !tg.qp.empty();
  const size_t NQ = size_t(B) * Q, NT = size_t(B) * d.T;
  if (dbQ) {
    add_colsum(dq, NQ, d.HE, dbQ);
    add_colsum(dk, NT, d.HE, dbK);
    add_colsum(dv, NT, d.HE, dbV);
  }
  for (size_t n = 0; n < NQ; ++n) {
    const int b = int(n / Q), row = rows[n];
    const int tok = tokens[size_t(b) * d.T + row];
    accumulate(tg.qe.data() + size_t(tok) * d.HE, dq + n * d.HE, d.HE);
    if (pos) accumulate(tg.qp.data() + size_t(row) * d.HE, dq + n * d.HE, d.HE);
  }
  for (size_t n = 0; n < NT; ++n) {
    const int p = int(n % d.T), tok = tokens[n];
    accumulate(tg.ke.data() + size_t(tok) * d.HE, dk + n * d.HE, d.HE);
    accumulate(tg.ve.data() + size_t(tok) * d.HE, dv + n * d.HE, d.HE);
    if (pos) {
      accumulate(tg.kp.data() + size_t(p) * d.HE, dk + n * d.HE, d.HE);
      accumulate(tg.vp.data() + size_t(p) * d.HE, dv + n * d.HE, d.HE);
    }
  }
}

#define HC_INSTANTIATE(S)                                                                                          \
  template void gather_rows_forward<S>(const Dims&, int, int, const int32_t*, const S*, S*);                      \
  template void gather_rows_backward<S>(const Dims&, int, int, const int32_t*, const S*, S*);                     \
  template void qkv_forward<S>(const Dims&, int, int, const S*, const S*, const S*, const S*, const S*, const S*, \
                               const S*, const S*, S*, S*, S*);                                                   \
  template void qkv_backward<S>(const Dims&, int, int, const S*, const S*, const S*, const S*, const S*,          \
                                const S*, const S*, const S*, S*, S*, S*, S*, S*, S*, S*, S*);                    \
  template void qkv_tables_forward<S>(const Dims&, int, int, const int32_t*, const int32_t*,                      \
                                      const EmbedTables<S>&, const S*, const S*, const S*, S*, S*, S*);           \
  template void qkv_tables_backward<S>(const Dims&, int, int, const int32_t*, const int32_t*, const S*, const S*, \
                                       const S*, TableGrads<S>&, S*, S*, S*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace ops

// ---- layer-0 factor tables (transformer.hpp) ----

using namespace ops;

template <class S>
void TableGrads<S>::resize(const ModelConfig& c) {
  const size_t n_tok = size_t(c.d_vocab) * c.n_heads * c.d_head;
  const size_t n_pos = c.pos_embed ? size_t(c.n_ctx) * c.n_heads * c.d_head : 0;
  for (auto* t : {&qe, &ke, &ve}) fit(*t, n_tok);
  for (auto* t : {&qp, &kp, &vp}) fit(*t, n_pos);
}
template <class S>
void TableGrads<S>::zero() {
  for (auto* t : {&qe, &ke, &ve, &qp, &kp, &vp}) std::fill(t->begin(), t->end(), S(0));
}
template <class S>
void TableGrads<S>::add(const TableGrads& o) {
  std::vector<S>* mine[] = {&qe, &ke, &ve, &qp, &kp, &vp};
  const std::vector<S>* theirs[] = {&o.qe, &o.ke, &o.ve, &o.qp, &o.kp, &o.vp};
  for (int t = 0; t < 6; ++t)
    for (size_t i = 0; i < mine[t]->size(); ++i) (*mine[t])[i] += (*theirs[t])[i];
}

template <class S>
void build_embed_tables(const ModelConfig& c, const ParamTable& pt, const S* params, EmbedTables<S>& t) {
  const Dims d(c);
  const ParamKind kinds[3] = {ParamKind::W_Q, ParamKind::W_K, ParamKind::W_V};
  std::vector<S>* etab[3] = {&t.qe, &t.ke, &t.ve};
  std::vector<S>* ptab[3] = {&t.qp, &t.kp, &t.vp};
  auto WE = cmat(param(pt, params, ParamKind::W_E), d.V, d.D, d.D);
  for (int m = 0; m < 3; ++m) {
    fit(*etab[m], size_t(d.V) * d.HE);
    fit(*ptab[m], c.pos_embed ? size_t(d.T) * d.HE : 0);
    const S* W = param(pt, params, kinds[m], 0);
    for (int h = 0; h < d.H; ++h) {
      auto Wh = cmat(W + size_t(h) * d.D * d.E, d.D, d.E, d.E);
      mat(etab[m]->data() + h * d.E, d.V, d.E, d.HE).noalias() = WE * Wh;
      if (c.pos_embed) {
        auto WP = cmat(param(pt, params, ParamKind::W_pos), d.T, d.D, d.D);
        mat(ptab[m]->data() + h * d.E, d.T, d.E, d.HE).noalias() = WP * Wh;
      }
    }
  }
}

template <class S>
void finish_table_grads(const ModelConfig& c, const ParamTable& pt, const S* params, const TableGrads<S>& tg,
                        S* grad) {
  const Dims d(c);
  const ParamKind kinds[3] = {ParamKind::W_Q, ParamKind::W_K, ParamKind::W_V};
  const std::vector<S>* etab[3] = {&tg.qe, &tg.ke, &tg.ve};
  const std::vector<S>* ptab[3] = {&tg.qp, &tg.kp, &tg.vp};
  auto WE = cmat(param(pt, params, ParamKind::W_E), d.V, d.D, d.D);
  auto gWE = mat(grad_of(pt, grad, ParamKind::W_E), d.V, d.D, d.D);
  for (int m = 0; m < 3; ++m) {
    const S* W = param(pt, params, kinds[m], 0);
    S* gW = grad_of(pt, grad, kinds[m], 0);
    for (int h = 0; h < d.H; ++h) {
      const size_t w = size_t(h) * d.D * d.E;
      auto Wh = cmat(W + w, d.D, d.E, d.E);
      auto gWh = mat(gW + w, d.D, d.E, d.E);
      auto ge = cmat(etab[m]->data() + h * d.E, d.V, d.E, d.HE);
      gWh.noalias() += WE.transpose() * ge;
      gWE.noalias() += ge * Wh.transpose();
      if (c.pos_embed) {
        auto WP = cmat(param(pt, params, ParamKind::W_pos), d.T, d.D, d.D);
        auto gWP = mat(grad_of(pt, grad, ParamKind::W_pos), d.T, d.D, d.D);
        auto gp = cmat(ptab[m]->data() + h * d.E, d.T, d.E, d.HE);
        gWh.noalias() += WP.transpose() * gp;
        gWP.noalias() += gp * Wh.transpose();
      }
    }
  }
}

#define HC_INSTANTIATE(S)                                                                                    \
  template struct TableGrads<S>;                                                                             \
  template void build_embed_tables<S>(const ModelConfig&, const ParamTable&, const S*, EmbedTables<S>&);     \
  template void finish_table_grads<S>(const ModelConfig&, const ParamTable&, const S*, const TableGrads<S>&, \
                                      S*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc
