// The folded two-layer path's per-step tables (two_layer.hpp): built from the
// weights before the chunks run, and their reduced gradients turned back into
// weight gradients after; the pair side by side.
#include <algorithm>
#include <cmath>

#include "model/ops.hpp"
#include "model/two_layer.hpp"

namespace hc {

using namespace ops;

template <class S>
void TwoLayerGrads<S>::resize(const ModelConfig& c) {
  const Dims d(c);
  const size_t HE = d.HE, V = d.V, T = c.pos_embed ? d.T : 0, H = d.H;
  fit(tt, H * V * V);
  fit(tp, H * V * T);
  fit(pt, H * T * V);
  fit(pp, H * T * T);
  fit(ve, V * HE);
  fit(vp, T * HE);
  fit(wq1, size_t(d.D) * HE);
  fit(wx, size_t(two_layer_x(c)) * 2 * HE);
}
template <class S>
void TwoLayerGrads<S>::zero() {
  for (auto* v : {&tt, &tp, &pt, &pp, &ve, &vp, &wq1, &wx}) std::fill(v->begin(), v->end(), S(0));
}
template <class S>
void TwoLayerGrads<S>::add(const TwoLayerGrads& o) {
  std::vector<S>* mine[] = {&tt, &tp, &pt, &pp, &ve, &vp, &wq1, &wx};
  const std::vector<S>* theirs[] = {&o.tt, &o.tp, &o.pt, &o.pp, &o.ve, &o.vp, &o.wq1, &o.wx};
  for (int i = 0; i < 8; ++i) accumulate(mine[i]->data(), theirs[i]->data(), int(mine[i]->size()));
}

namespace {

// A layer's W [H,D,E] as the columns [col0, col0 + HE) of a [D, width] matrix, and back (adding).
template <class S>
void heads_to_matrix(const Dims& d, const S* W, S* out, int width, int col0) {
  for (int h = 0; h < d.H; ++h)
    for (int r = 0; r < d.D; ++r)
      for (int e = 0; e < d.E; ++e) out[size_t(r) * width + col0 + h * d.E + e] = W[(size_t(h) * d.D + r) * d.E + e];
}
template <class S>
void matrix_to_heads_add(const Dims& d, const S* in, int width, int col0, S* gW) {
  for (int h = 0; h < d.H; ++h)
    for (int r = 0; r < d.D; ++r)
      for (int e = 0; e < d.E; ++e) gW[(size_t(h) * d.D + r) * d.E + e] += in[size_t(r) * width + col0 + h * d.E + e];
}

}  // namespace

template <class S>
void build_two_layer_tables(const ModelConfig& c, const ParamTable& ptab, const S* params, TwoLayerTables<S>& t) {
  const Dims d(c);
  auto p = [&](ParamKind k, int layer = -1) { return param(ptab, params, k, layer); };
  const bool pos = c.pos_embed;
  const int HE = d.HE, KV = 2 * d.HE, T = d.T, V = d.V;
  build_embed_tables(c, ptab, params, t.e0);
  if (c.biases) {  // each lookup adds the bias once: fold it into the position tables, or the token tables
    add_bias_rows((pos ? t.e0.qp : t.e0.qe).data(), pos ? T : V, HE, p(ParamKind::b_Q, 0));
    add_bias_rows((pos ? t.e0.kp : t.e0.ke).data(), pos ? T : V, HE, p(ParamKind::b_K, 0));
    add_bias_rows((pos ? t.e0.vp : t.e0.ve).data(), pos ? T : V, HE, p(ParamKind::b_V, 0));
  }
  const S scale = S(1) / std::sqrt(S(d.E));
  fit(t.tt, size_t(d.H) * V * V);
  fit(t.tp, pos ? size_t(d.H) * V * T : 0);
  fit(t.pt, pos ? size_t(d.H) * T * V : 0);
  fit(t.pp, pos ? size_t(d.H) * T * T : 0);
  for (int h = 0; h < d.H; ++h) {
    auto qe = cmat(t.e0.qe.data() + h * d.E, V, d.E, HE);
    auto ke = cmat(t.e0.ke.data() + h * d.E, V, d.E, HE);
    mat(t.tt.data() + size_t(h) * V * V, V, V, V).noalias() = scale * (qe * ke.transpose());
    if (!pos) continue;
    auto qp = cmat(t.e0.qp.data() + h * d.E, T, d.E, HE);
    auto kp = cmat(t.e0.kp.data() + h * d.E, T, d.E, HE);
    mat(t.tp.data() + size_t(h) * V * T, V, T, T).noalias() = scale * (qe * kp.transpose());
    mat(t.pt.data() + size_t(h) * T * V, T, V, V).noalias() = scale * (qp * ke.transpose());
    mat(t.pp.data() + size_t(h) * T * T, T, T, T).noalias() = scale * (qp * kp.transpose());
  }

  fit(t.wq1, size_t(d.D) * HE);
  fit(t.wkv1, size_t(d.D) * KV);
  heads_to_matrix(d, p(ParamKind::W_Q, 1), t.wq1.data(), HE, 0);
  heads_to_matrix(d, p(ParamKind::W_K, 1), t.wkv1.data(), KV, 0);
  heads_to_matrix(d, p(ParamKind::W_V, 1), t.wkv1.data(), KV, HE);
  auto WKV = cmat(t.wkv1.data(), d.D, KV, KV);
  fit(t.wx, size_t(two_layer_x(c)) * KV);
  S* m = t.wx.data();                  // rows [0, HE): W_O0 wkv1
  S* kve = m + size_t(HE) * KV;        // rows [HE, HE + V): W_E wkv1
  S* kvp = kve + size_t(V) * KV;       // rows [HE + V, X): W_pos wkv1
  mat(m, HE, KV, KV).noalias() = cmat(p(ParamKind::W_O, 0), HE, d.D, d.D) * WKV;
  mat(kve, V, KV, KV).noalias() = cmat(p(ParamKind::W_E), V, d.D, d.D) * WKV;
  if (pos) mat(kvp, T, KV, KV).noalias() = cmat(p(ParamKind::W_pos), T, d.D, d.D) * WKV;
  if (c.biases) {  // b_O0 reaches every position's k1, v1 through wkv1, beside b_K1, b_V1
    std::vector<S> c1(size_t(KV), S(0));
    mat(c1.data(), 1, KV, KV).noalias() = cmat(p(ParamKind::b_O, 0), 1, d.D, d.D) * WKV;
    accumulate(c1.data(), p(ParamKind::b_K, 1), HE);
    accumulate(c1.data() + HE, p(ParamKind::b_V, 1), HE);
    add_bias_rows(pos ? kvp : kve, pos ? T : V, KV, c1.data());
  }
}

template <class S>
void finish_two_layer_grads(const ModelConfig& c, const ParamTable& ptab, const S* params, const TwoLayerTables<S>& t,
                            const TwoLayerGrads<S>& g, TableGrads<S>& tg, S* grad) {
  const Dims d(c);
  auto p = [&](ParamKind k, int layer = -1) { return param(ptab, params, k, layer); };
  auto gr = [&](ParamKind k, int layer = -1) { return grad_of(ptab, grad, k, layer); };
  const bool pos = c.pos_embed;
  const int HE = d.HE, KV = 2 * d.HE, T = d.T, V = d.V;
  const S scale = S(1) / std::sqrt(S(d.E));

  // Score tables -> layer 0 q and k tables.
  tg.resize(c);
  tg.zero();
  for (int h = 0; h < d.H; ++h) {
    auto qe = cmat(t.e0.qe.data() + h * d.E, V, d.E, HE);
    auto ke = cmat(t.e0.ke.data() + h * d.E, V, d.E, HE);
    auto gqe = mat(tg.qe.data() + h * d.E, V, d.E, HE);
    auto gke = mat(tg.ke.data() + h * d.E, V, d.E, HE);
    auto Gtt = cmat(g.tt.data() + size_t(h) * V * V, V, V, V);
    gqe.noalias() = scale * (Gtt * ke);
    gke.noalias() = scale * (Gtt.transpose() * qe);
    if (!pos) continue;
    auto qp = cmat(t.e0.qp.data() + h * d.E, T, d.E, HE);
    auto kp = cmat(t.e0.kp.data() + h * d.E, T, d.E, HE);
    auto gqp = mat(tg.qp.data() + h * d.E, T, d.E, HE);
    auto gkp = mat(tg.kp.data() + h * d.E, T, d.E, HE);
    auto Gtp = cmat(g.tp.data() + size_t(h) * V * T, V, T, T);
    auto Gpt = cmat(g.pt.data() + size_t(h) * T * V, T, V, V);
    auto Gpp = cmat(g.pp.data() + size_t(h) * T * T, T, T, T);
    gqe.noalias() += scale * (Gtp * kp);
    gke.noalias() += scale * (Gpt.transpose() * qp);
    gqp.noalias() = scale * (Gpt * ke + Gpp * kp);
    gkp.noalias() = scale * (Gtp.transpose() * qe + Gpp.transpose() * qp);
  }
  tg.ve = g.ve;
  tg.vp = g.vp;
  if (c.biases) {
    add_colsum((pos ? tg.qp : tg.qe).data(), pos ? T : V, HE, gr(ParamKind::b_Q, 0));
    add_colsum((pos ? tg.kp : tg.ke).data(), pos ? T : V, HE, gr(ParamKind::b_K, 0));
    add_colsum((pos ? tg.vp : tg.ve).data(), pos ? T : V, HE, gr(ParamKind::b_V, 0));
  }
  finish_table_grads(c, ptab, params, tg, grad);  // W_E, W_pos, layer 0 W_Q, W_K, W_V

  // Layer 1 key/value tables and M = W_O0 wkv1 (the blocks of wx) -> W_E, W_pos, W_O0, b_O0, and wkv1.
  const S* gm = g.wx.data();
  const S* gkve = gm + size_t(HE) * KV;
  const S* gkvp = gkve + size_t(V) * KV;
  auto WKV = cmat(t.wkv1.data(), d.D, KV, KV);
  std::vector<S> gwkv(size_t(d.D) * KV, S(0));
  auto gWKV = mat(gwkv.data(), d.D, KV, KV);
  gWKV.noalias() += cmat(p(ParamKind::W_E), V, d.D, d.D).transpose() * cmat(gkve, V, KV, KV);
  mat(gr(ParamKind::W_E), V, d.D, d.D).noalias() += cmat(gkve, V, KV, KV) * WKV.transpose();
  if (pos) {
    gWKV.noalias() += cmat(p(ParamKind::W_pos), T, d.D, d.D).transpose() * cmat(gkvp, T, KV, KV);
    mat(gr(ParamKind::W_pos), T, d.D, d.D).noalias() += cmat(gkvp, T, KV, KV) * WKV.transpose();
  }
  if (c.biases) {
    std::vector<S> gc(size_t(KV), S(0));
    add_colsum(pos ? gkvp : gkve, pos ? T : V, KV, gc.data());
    accumulate(gr(ParamKind::b_K, 1), gc.data(), HE);
    accumulate(gr(ParamKind::b_V, 1), gc.data() + HE, HE);
    auto GC = cmat(gc.data(), 1, KV, KV);
    mat(gr(ParamKind::b_O, 0), 1, d.D, d.D).noalias() += GC * WKV.transpose();
    gWKV.noalias() += cmat(p(ParamKind::b_O, 0), 1, d.D, d.D).transpose() * GC;
  }
  auto GM = cmat(gm, HE, KV, KV);
  mat(gr(ParamKind::W_O, 0), HE, d.D, d.D).noalias() += GM * WKV.transpose();
  gWKV.noalias() += cmat(p(ParamKind::W_O, 0), HE, d.D, d.D).transpose() * GM;

  matrix_to_heads_add(d, gwkv.data(), KV, 0, gr(ParamKind::W_K, 1));
  matrix_to_heads_add(d, gwkv.data(), KV, HE, gr(ParamKind::W_V, 1));
  matrix_to_heads_add(d, g.wq1.data(), HE, 0, gr(ParamKind::W_Q, 1));
}

#define HC_INSTANTIATE(S)                                                                                       \
  template struct TwoLayerGrads<S>;                                                                             \
  template void build_two_layer_tables<S>(const ModelConfig&, const ParamTable&, const S*, TwoLayerTables<S>&); \
  template void finish_two_layer_grads<S>(const ModelConfig&, const ParamTable&, const S*,                      \
                                          const TwoLayerTables<S>&, const TwoLayerGrads<S>&, TableGrads<S>&, S*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc
