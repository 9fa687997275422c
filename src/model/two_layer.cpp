// The folded two-layer path over one chunk (two_layer.hpp): layer 1's kernels
// (layer 0's are in two_layer_layer0.cpp), each forward beside its backward,
// then the chunk forward and backward that call them in order.
#include "model/two_layer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/ops.hpp"
#include "model/two_layer_layer0.hpp"

namespace hc {

using namespace ops;

namespace {

using two_layer_kernels::softmax_row;

// ---- layer 1 attention over x_j = [z0_j | onehot(tok_j) | onehot(j)] ----
//
// Per example, the G = P*H (query row, head) pairs g = p*H + h each hold a
// contracted query qt[g] in R^X; score[g,j] = z0_j . qt[g][0,HE) +
// qt[g][HE + tok_j] + qt[g][HE + V + j]. The z0 parts are small products per
// example ([G,HE] x [HE,T] and back); the table parts are reads and scatters.

struct Layer1Shape {
  int T, HE, V, H, P, G, X;
  bool pos;
  Layer1Shape(const Dims& d, int P_, bool pos_)
      : T(d.T), HE(d.HE), V(d.V), H(d.H), P(P_), G(P_ * d.H),
        X(d.HE + d.V + (pos_ ? d.T : 0)), pos(pos_) {}
};

// From qt [B,G,X]: pattern [B,G,T] (zero after each query row) and y [B,G,X] = sum_j p_j x_j.
template <class S>
void layer1_forward(const Layer1Shape& s, int B, const int32_t* tokens, const int32_t* rows, const S* z0,
                    const S* qt, S* keys, S* pattern, S* y) {
  for (int b = 0; b < B; ++b) {
    const int32_t* tok = tokens + size_t(b) * s.T;
    const S* z = z0 + size_t(b) * s.T * s.HE;
    const S* q = qt + size_t(b) * s.G * s.X;
    auto Z = cmat(z, s.T, s.HE, s.HE);
    auto K = mat(keys, s.G, s.T, s.T);
    K.noalias() = cmat(q, s.G, s.HE, s.X) * Z.transpose();  // keys[g][j] = z0_j . qt[g]
    for (int g = 0; g < s.G; ++g) {
      const int n = rows[b * s.P + g / s.H] + 1;  // keys 0..row
      const S* qg = q + size_t(g) * s.X;
      S* pr = pattern + (size_t(b) * s.G + g) * s.T;
      const S* kg = keys + size_t(g) * s.T;
      for (int j = 0; j < n; ++j) pr[j] = kg[j] + qg[s.HE + tok[j]];
      if (s.pos)
        for (int j = 0; j < n; ++j) pr[j] += qg[s.HE + s.V + j];
      softmax_row(pr, n, pr);
      std::fill(pr + n, pr + s.T, S(0));
      S* yg = y + (size_t(b) * s.G + g) * s.X;
      std::fill_n(yg + s.HE, s.X - s.HE, S(0));
      for (int j = 0; j < n; ++j) yg[s.HE + tok[j]] += pr[j];
      if (s.pos) std::copy_n(pr, n, yg + s.HE + s.V);
    }
    mat(y + size_t(b) * s.G * s.X, s.G, s.HE, s.X).noalias() =
        cmat(pattern + size_t(b) * s.G * s.T, s.G, s.T, s.T) * Z;  // y[g][0,HE) = sum_j p_gj z0_j
  }
}

// From dy [B,G,X]: dqt [B,G,X] and adds into dz0 [B,T,HE].
template <class S>
void layer1_backward(const Layer1Shape& s, int B, const int32_t* tokens, const int32_t* rows, const S* z0,
                     const S* qt, const S* pattern, const S* dy, S* ds, S* dqt, S* dz0) {
  for (int b = 0; b < B; ++b) {
    const int32_t* tok = tokens + size_t(b) * s.T;
    auto Z = cmat(z0 + size_t(b) * s.T * s.HE, s.T, s.HE, s.HE);
    const S* dyb = dy + size_t(b) * s.G * s.X;
    const S* pb = pattern + size_t(b) * s.G * s.T;
    S* dqb = dqt + size_t(b) * s.G * s.X;
    auto DS = mat(ds, s.G, s.T, s.T);
    DS.noalias() = cmat(dyb, s.G, s.HE, s.X) * Z.transpose();  // ds[g][j] = dy[g] . z0_j, then the table parts
    for (int g = 0; g < s.G; ++g) {
      const int n = rows[b * s.P + g / s.H] + 1;
      const S* dyg = dyb + size_t(g) * s.X;
      const S* pr = pb + size_t(g) * s.T;
      S* dsg = ds + size_t(g) * s.T;
      // dp_j = dy . x_j; ds_j = p_j (dp_j - sum_k p_k dp_k)
      for (int j = 0; j < n; ++j) dsg[j] += dyg[s.HE + tok[j]];
      if (s.pos)
        for (int j = 0; j < n; ++j) dsg[j] += dyg[s.HE + s.V + j];
      S dot = 0;
      for (int j = 0; j < n; ++j) dot += pr[j] * dsg[j];
      for (int j = 0; j < n; ++j) dsg[j] = pr[j] * (dsg[j] - dot);
      std::fill(dsg + n, dsg + s.T, S(0));
      // dqt = sum_j ds_j x_j: the table parts here, the z0 part below
      S* dq = dqb + size_t(g) * s.X;
      std::fill_n(dq + s.HE, s.X - s.HE, S(0));
      for (int j = 0; j < n; ++j) dq[s.HE + tok[j]] += dsg[j];
      if (s.pos) std::copy_n(dsg, n, dq + s.HE + s.V);
    }
    mat(dqb, s.G, s.HE, s.X).noalias() = DS * Z;
    // dz0_j += sum_g ds[g][j] qt[g] + p[g][j] dy[g] (both zero after each query row)
    auto dZ = mat(dz0 + size_t(b) * s.T * s.HE, s.T, s.HE, s.HE);
    dZ.noalias() += DS.transpose() * cmat(qt + size_t(b) * s.G * s.X, s.G, s.HE, s.X);
    dZ.noalias() += cmat(pb, s.G, s.T, s.T).transpose() * cmat(dyb, s.G, s.HE, s.X);
  }
}

// ---- per-token / per-position table rows: out[b,t] += tok_tab[tok] + pos_tab[t] and back ----

template <class S>
void add_table_rows(const Dims& d, int B, const int32_t* tokens, const S* tok_tab, const S* pos_tab, int width,
                    S* out) {
  for (size_t n = 0; n < size_t(B) * d.T; ++n) {
    accumulate(out + n * width, tok_tab + size_t(tokens[n]) * width, width);
    if (pos_tab) accumulate(out + n * width, pos_tab + size_t(n % d.T) * width, width);
  }
}
template <class S>
void add_table_rows_backward(const Dims& d, int B, const int32_t* tokens, const S* dout, int width, S* dtok_tab,
                             S* dpos_tab) {
  for (size_t n = 0; n < size_t(B) * d.T; ++n) {
    accumulate(dtok_tab + size_t(tokens[n]) * width, dout + n * width, width);
    if (dpos_tab) accumulate(dpos_tab + size_t(n % d.T) * width, dout + n * width, width);
  }
}

// Calls f.template operator()<kE>() with kE = E for the common head widths, else 0.
template <class F>
void with_head_width(int E, F&& f) {
  if (E == 8) f.template operator()<8>();
  else if (E == 16) f.template operator()<16>();
  else f.template operator()<0>();
}

}  // namespace

// ---- the chunk ----

template <class S>
void two_layer_forward(const ModelConfig& c, const ParamTable& ptab, const S* params, const TwoLayerTables<S>& t,
                       const int32_t* tokens, int B, const int32_t* rows, int P, TwoLayerActs<S>& a) {
  const Dims d(c);
  auto p = [&](ParamKind k, int layer = -1) { return param(ptab, params, k, layer); };
  auto bias = [&](ParamKind k, int layer = -1) { return c.biases ? p(k, layer) : nullptr; };
  const bool pos = c.pos_embed;
  const size_t NT = size_t(B) * d.T, NP = size_t(B) * P, HE = d.HE, KV = 2 * HE;
  a.B = B;
  a.P = P;
  a.tokens = tokens;
  a.rows = rows;
  fit(a.pattern0, NT * d.H * d.T);
  fit(a.v0, NT * HE);
  fit(a.z0, NT * HE);
  const Layer1Shape s1(d, P, pos);
  const size_t NG = NP * d.H, X = s1.X;
  fit(a.zq0, NP * HE);
  fit(a.xq1, NP * d.D);
  fit(a.q1, NP * HE);
  fit(a.z1, NP * HE);
  fit(a.qt, NG * X);
  fit(a.y, NG * X);
  fit(a.pattern1, NG * d.T);
  fit(a.keys1, size_t(s1.G) * d.T);
  fit(a.resid1, NP * d.D);
  fit(a.logits, NP * d.V);

  // Layer 0 at every position, from the tables.
  std::fill(a.v0.begin(), a.v0.end(), S(0));
  add_table_rows(d, B, tokens, t.e0.ve.data(), pos ? t.e0.vp.data() : nullptr, d.HE, a.v0.data());
  with_head_width(d.E, [&]<int kE>() {
    layer0_forward<kE>(d, t, B, tokens, a.pattern0.data(), a.v0.data(), a.z0.data());
  });

  // Layer 1 residual and queries at the query rows.
  const S* WE = p(ParamKind::W_E);
  const S* WP = pos ? p(ParamKind::W_pos) : nullptr;
  for (size_t n = 0; n < NP; ++n) {
    const size_t src = (n / P) * d.T + rows[n];
    std::copy_n(a.z0.data() + src * HE, HE, a.zq0.data() + n * HE);
  }
  mat(a.xq1.data(), NP, d.D, d.D).noalias() = cmat(a.zq0.data(), NP, HE, HE) * cmat(p(ParamKind::W_O, 0), HE, d.D, d.D);
  for (size_t n = 0; n < NP; ++n) {
    const int row = rows[n];
    S* x = a.xq1.data() + n * d.D;
    accumulate(x, WE + size_t(tokens[(n / P) * d.T + row]) * d.D, d.D);
    if (WP) accumulate(x, WP + size_t(row) * d.D, d.D);
  }
  if (const S* bO0 = bias(ParamKind::b_O, 0)) add_bias_rows(a.xq1.data(), NP, d.D, bO0);
  mat(a.q1.data(), NP, HE, HE).noalias() = cmat(a.xq1.data(), NP, d.D, d.D) * cmat(t.wq1.data(), d.D, HE, HE);
  if (const S* bQ1 = bias(ParamKind::b_Q, 1)) add_bias_rows(a.q1.data(), NP, d.HE, bQ1);

  // Layer 1 attention over x at the query rows: qt_h = wx_K,h q1_h / sqrt(E), then z1_h = y_h wx_V,h.
  const S scale = S(1) / std::sqrt(S(d.E));
  for (int h = 0; h < d.H; ++h)
    mat(a.qt.data() + h * X, NP, X, d.H * X).noalias() =
        scale * (cmat(a.q1.data() + h * d.E, NP, d.E, HE) * cmat(t.wx.data() + h * d.E, X, d.E, KV).transpose());
  layer1_forward(s1, B, tokens, rows, a.z0.data(), a.qt.data(), a.keys1.data(), a.pattern1.data(), a.y.data());
  for (int h = 0; h < d.H; ++h)
    mat(a.z1.data() + h * d.E, NP, d.E, HE).noalias() =
        cmat(a.y.data() + h * X, NP, X, d.H * X) * cmat(t.wx.data() + HE + h * d.E, X, d.E, KV);
  auto R = mat(a.resid1.data(), NP, d.D, d.D);
  R = cmat(a.xq1.data(), NP, d.D, d.D);
  R.noalias() += cmat(a.z1.data(), NP, HE, HE) * cmat(p(ParamKind::W_O, 1), HE, d.D, d.D);
  if (const S* bO1 = bias(ParamKind::b_O, 1)) add_bias_rows(a.resid1.data(), NP, d.D, bO1);
  mat(a.logits.data(), NP, d.V, d.V).noalias() = R * cmat(p(ParamKind::W_U), d.D, d.V, d.V);
  if (const S* bU = bias(ParamKind::b_U)) add_bias_rows(a.logits.data(), NP, d.V, bU);
}

template <class S>
void two_layer_backward(const ModelConfig& c, const ParamTable& ptab, const S* params, const TwoLayerTables<S>& t,
                        TwoLayerActs<S>& a, S* grad, TwoLayerGrads<S>& g) {
  const Dims d(c);
  auto p = [&](ParamKind k, int layer = -1) { return param(ptab, params, k, layer); };
  auto gr = [&](ParamKind k, int layer = -1) { return grad_of(ptab, grad, k, layer); };
  const bool pos = c.pos_embed, bias = c.biases;
  const int B = a.B, P = a.P;
  const size_t NT = size_t(B) * d.T, NP = size_t(B) * P, HE = d.HE, KV = 2 * HE;
  fit(a.dR1, NP * d.D);
  fit(a.dxq1, NP * d.D);
  fit(a.dz1, NP * HE);
  fit(a.dzq0, NP * HE);
  const Layer1Shape s1(d, P, pos);
  const size_t NG = NP * d.H, X = s1.X;
  fit(a.dy, NG * X);
  fit(a.dqt, NG * X);
  fit(a.ds1, size_t(s1.G) * d.T);
  fit(a.dq1, NP * HE);
  a.dz0.assign(NT * HE, S(0));
  a.dv0.assign(NT * HE, S(0));

  // Unembed, layer 1 output projection and residual.
  auto dL = cmat(a.dlogits.data(), NP, d.V, d.V);
  auto dR = mat(a.dR1.data(), NP, d.D, d.D);
  mat(gr(ParamKind::W_U), d.D, d.V, d.V).noalias() += cmat(a.resid1.data(), NP, d.D, d.D).transpose() * dL;
  if (bias) add_colsum(a.dlogits.data(), NP, d.V, gr(ParamKind::b_U));
  dR.noalias() = dL * cmat(p(ParamKind::W_U), d.D, d.V, d.V).transpose();
  mat(gr(ParamKind::W_O, 1), HE, d.D, d.D).noalias() += cmat(a.z1.data(), NP, HE, HE).transpose() * dR;
  if (bias) add_colsum(a.dR1.data(), NP, d.D, gr(ParamKind::b_O, 1));
  mat(a.dz1.data(), NP, HE, HE).noalias() = dR * cmat(p(ParamKind::W_O, 1), HE, d.D, d.D).transpose();

  // Layer 1 attention over x: y -> wx_V, then the pattern, then qt -> wx_K and q1.
  const S scale = S(1) / std::sqrt(S(d.E));
  for (int h = 0; h < d.H; ++h) {
    auto dZ1 = cmat(a.dz1.data() + h * d.E, NP, d.E, HE);
    mat(a.dy.data() + h * X, NP, X, d.H * X).noalias() =
        dZ1 * cmat(t.wx.data() + HE + h * d.E, X, d.E, KV).transpose();
    mat(g.wx.data() + HE + h * d.E, X, d.E, KV).noalias() += cmat(a.y.data() + h * X, NP, X, d.H * X).transpose() * dZ1;
  }
  layer1_backward(s1, B, a.tokens, a.rows, a.z0.data(), a.qt.data(), a.pattern1.data(), a.dy.data(), a.ds1.data(),
                  a.dqt.data(), a.dz0.data());
  for (int h = 0; h < d.H; ++h) {
    auto dQt = cmat(a.dqt.data() + h * X, NP, X, d.H * X);
    mat(a.dq1.data() + h * d.E, NP, d.E, HE).noalias() = scale * (dQt * cmat(t.wx.data() + h * d.E, X, d.E, KV));
    mat(g.wx.data() + h * d.E, X, d.E, KV).noalias() +=
        scale * (dQt.transpose() * cmat(a.q1.data() + h * d.E, NP, d.E, HE));
  }
  auto dQ = cmat(a.dq1.data(), NP, HE, HE);
  auto dX = mat(a.dxq1.data(), NP, d.D, d.D);
  mat(g.wq1.data(), d.D, HE, HE).noalias() += cmat(a.xq1.data(), NP, d.D, d.D).transpose() * dQ;
  if (bias) add_colsum(a.dq1.data(), NP, d.HE, gr(ParamKind::b_Q, 1));
  dX = dR;
  dX.noalias() += dQ * cmat(t.wq1.data(), d.D, HE, HE).transpose();

  // Layer 1 resid_pre at the query rows = embed + pos + z0 W_O0 + b_O0.
  S* gWE = gr(ParamKind::W_E);
  S* gWP = pos ? gr(ParamKind::W_pos) : nullptr;
  for (size_t n = 0; n < NP; ++n) {
    const int row = a.rows[n];
    const S* dx = a.dxq1.data() + n * d.D;
    accumulate(gWE + size_t(a.tokens[(n / P) * d.T + row]) * d.D, dx, d.D);
    if (gWP) accumulate(gWP + size_t(row) * d.D, dx, d.D);
  }
  if (bias) add_colsum(a.dxq1.data(), NP, d.D, gr(ParamKind::b_O, 0));
  mat(gr(ParamKind::W_O, 0), HE, d.D, d.D).noalias() += cmat(a.zq0.data(), NP, HE, HE).transpose() * dX;
  mat(a.dzq0.data(), NP, HE, HE).noalias() = dX * cmat(p(ParamKind::W_O, 0), HE, d.D, d.D).transpose();

  // z0 at the query rows also reaches the logits through the residual.
  for (size_t n = 0; n < NP; ++n) {
    const size_t dst = (n / P) * d.T + a.rows[n];
    accumulate(a.dz0.data() + dst * HE, a.dzq0.data() + n * HE, d.HE);
  }

  // Layer 0 attention.
  with_head_width(d.E, [&]<int kE>() {
    layer0_backward<kE>(d, B, a.tokens, a.pattern0.data(), a.v0.data(), a.dz0.data(), a.dv0.data(), g);
  });
  add_table_rows_backward(d, B, a.tokens, a.dv0.data(), d.HE, g.ve.data(), pos ? g.vp.data() : nullptr);
}

#define HC_INSTANTIATE(S)                                                                                       \
  template void two_layer_forward<S>(const ModelConfig&, const ParamTable&, const S*, const TwoLayerTables<S>&, \
                                     const int32_t*, int, const int32_t*, int, TwoLayerActs<S>&);               \
  template void two_layer_backward<S>(const ModelConfig&, const ParamTable&, const S*, const TwoLayerTables<S>&, \
                                      TwoLayerActs<S>&, S*, TwoLayerGrads<S>&);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc
