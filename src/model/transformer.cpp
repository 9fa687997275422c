// forward() and backward(): the op pairs of ops.hpp in order, over one chunk.
// Buffers are sized here (fit), never inside an op; hooks fire here, between
// ops, in Full mode only.
#include "model/transformer.hpp"

#include <algorithm>

#include "model/ops.hpp"

namespace hc {

using namespace ops;

template <class S>
void forward(const ModelConfig& c, const ParamTable& pt, const S* params, const EmbedTables<S>* tables,
             const int32_t* tokens, int B, const int32_t* rows, int Q, Mode mode, const Hooks<S>* hooks,
             Activations<S>& a) {
  const Dims d(c);
  const bool full = mode == Mode::Full;
  a.B = B;
  a.T = d.T;
  a.mode = mode;
  a.Q = rows ? Q : d.T;
  a.tokens.assign(tokens, tokens + size_t(B) * d.T);
  fit(a.all_rows, size_t(B) * d.T);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < d.T; ++t) a.all_rows[size_t(b) * d.T + t] = t;
  if (rows) a.rows.assign(rows, rows + size_t(B) * Q);
  else a.rows = a.all_rows;
  a.layers.resize(d.L);

  auto fire = [&](Site s, int layer, std::vector<S>& buf, std::vector<int> shape, const int32_t* r) {
    if (!full || !hooks || hooks->empty()) return;
    HookView<S> view{buf.data(), std::move(shape), r};
    hooks->fire(HookKey{s, layer}, view);
  };
  auto p = [&](ParamKind k, int layer = -1) { return param(pt, params, k, layer); };
  auto bias = [&](ParamKind k, int layer = -1) { return c.biases ? p(k, layer) : nullptr; };
  const S* WE = p(ParamKind::W_E);
  const S* WP = c.pos_embed ? p(ParamKind::W_pos) : nullptr;
  const size_t NT = size_t(B) * d.T;

  if (full) {
    fit(a.embed, NT * d.D);
    fit(a.pos, NT * d.D);
    embed_forward(d, B, a.tokens.data(), WE, WP, a.embed.data(), a.pos.data());
    fire(Site::embed, -1, a.embed, {B, d.T, d.D}, a.all_rows.data());
    fire(Site::pos_embed, -1, a.pos, {B, d.T, d.D}, a.all_rows.data());
  }

  for (int l = 0; l < d.L; ++l) {
    LayerActs<S>& la = a.layers[l];
    la.Q = l == d.L - 1 ? a.Q : d.T;
    const int32_t* lrows = l == d.L - 1 ? a.rows.data() : a.all_rows.data();
    const size_t NQ = size_t(B) * la.Q;
    fit(la.xq, NQ * d.D);
    fit(la.q, NQ * d.HE);
    fit(la.k, NT * d.HE);
    fit(la.v, NT * d.HE);
    const S* bQ = bias(ParamKind::b_Q, l);
    const S* bK = bias(ParamKind::b_K, l);
    const S* bV = bias(ParamKind::b_V, l);
    if (l == 0 && !full) {  // factored: layer 0's input is embed + pos, q/k/v come from the tables
      la.x.clear();
      embed_rows_forward(d, B, la.Q, lrows, a.tokens.data(), WE, WP, la.xq.data());
      qkv_tables_forward(d, B, la.Q, lrows, a.tokens.data(), *tables, bQ, bK, bV, la.q.data(), la.k.data(),
                         la.v.data());
    } else {
      fit(la.x, NT * d.D);
      if (l == 0) residual_forward(NT * d.D, a.embed.data(), a.pos.data(), la.x.data());
      else la.x = a.layers[l - 1].resid_post;  // the previous layer has all T rows
      fire(Site::resid_pre, l, la.x, {B, d.T, d.D}, a.all_rows.data());
      gather_rows_forward(d, B, la.Q, lrows, la.x.data(), la.xq.data());
      qkv_forward(d, B, la.Q, la.x.data(), la.xq.data(), p(ParamKind::W_Q, l), p(ParamKind::W_K, l),
                  p(ParamKind::W_V, l), bQ, bK, bV, la.q.data(), la.k.data(), la.v.data());
    }
    fire(Site::q, l, la.q, {B, la.Q, d.H, d.E}, lrows);
    fire(Site::k, l, la.k, {B, d.T, d.H, d.E}, a.all_rows.data());
    fire(Site::v, l, la.v, {B, d.T, d.H, d.E}, a.all_rows.data());

    fit(la.scores, size_t(B) * d.H * la.Q * d.T);
    fit(la.pattern, la.scores.size());
    fit(la.z, NQ * d.HE);
    scores_forward(d, B, la.Q, lrows, la.q.data(), la.k.data(), la.scores.data());
    fire(Site::attn_scores, l, la.scores, {B, d.H, la.Q, d.T}, lrows);
    softmax_forward(size_t(B) * d.H * la.Q, d.T, la.scores.data(), la.pattern.data());
    fire(Site::pattern, l, la.pattern, {B, d.H, la.Q, d.T}, lrows);
    mix_forward(d, B, la.Q, la.pattern.data(), la.v.data(), la.z.data());
    fire(Site::z, l, la.z, {B, la.Q, d.H, d.E}, lrows);

    const S* WO = p(ParamKind::W_O, l);
    const S* bO = bias(ParamKind::b_O, l);
    fit(la.attn_out, NQ * d.D);
    if (full) {  // per-head results, so that hooks can read and edit them; attn_out is their sum
      fit(la.result, NQ * d.H * d.D);
      out_proj_heads_forward(d, B, la.Q, la.z.data(), WO, la.result.data());
      fire(Site::result, l, la.result, {B, la.Q, d.H, d.D}, lrows);
      out_proj_sum_forward(d, B, la.Q, la.result.data(), bO, la.attn_out.data());
    } else {
      la.result.clear();
      out_proj_forward(d, B, la.Q, la.z.data(), WO, bO, la.attn_out.data());
    }
    fire(Site::attn_out, l, la.attn_out, {B, la.Q, d.D}, lrows);
    fit(la.resid_post, NQ * d.D);
    residual_forward(NQ * d.D, la.xq.data(), la.attn_out.data(), la.resid_post.data());
    fire(Site::resid_post, l, la.resid_post, {B, la.Q, d.D}, lrows);
  }

  fit(a.logits, size_t(B) * a.Q * d.V);
  unembed_forward(d, B, a.Q, a.layers[d.L - 1].resid_post.data(), p(ParamKind::W_U), bias(ParamKind::b_U),
                  a.logits.data());
  fire(Site::logits, -1, a.logits, {B, a.Q, d.V}, a.rows.data());
}

template <class S>
double cross_entropy(Activations<S>& a, int V, const int32_t* targets, S scale) {
  const size_t n_rows = size_t(a.B) * a.Q;
  fit(a.dlogits, n_rows * V);
  return ops::cross_entropy(n_rows, V, a.logits.data(), targets, scale, a.dlogits.data());
}

template <class S>
void backward(const ModelConfig& c, const ParamTable& pt, const S* params, Activations<S>& a, S* grad,
              TableGrads<S>* tg) {
  const Dims d(c);
  const int B = a.B;
  const size_t NT = size_t(B) * d.T;
  auto p = [&](ParamKind k, int layer = -1) { return param(pt, params, k, layer); };
  auto g = [&](ParamKind k, int layer = -1) { return grad_of(pt, grad, k, layer); };
  auto gbias = [&](ParamKind k, int layer = -1) { return c.biases ? g(k, layer) : nullptr; };
  S* gWE = g(ParamKind::W_E);
  S* gWP = c.pos_embed ? g(ParamKind::W_pos) : nullptr;

  // a.dR: the gradient of the current layer's resid_post [B,Q,D]
  a.dR.assign(size_t(B) * a.Q * d.D, S(0));
  unembed_backward(d, B, a.Q, a.layers[d.L - 1].resid_post.data(), p(ParamKind::W_U), a.dlogits.data(),
                   g(ParamKind::W_U), gbias(ParamKind::b_U), a.dR.data());

  for (int l = d.L - 1; l >= 0; --l) {
    LayerActs<S>& la = a.layers[l];
    const int32_t* lrows = l == d.L - 1 ? a.rows.data() : a.all_rows.data();
    const size_t NQ = size_t(B) * la.Q;
    a.dZ.assign(NQ * d.HE, S(0));
    a.dXq.assign(NQ * d.D, S(0));
    a.dq.assign(NQ * d.HE, S(0));
    a.dk.assign(NT * d.HE, S(0));
    a.dv.assign(NT * d.HE, S(0));
    fit(a.dpat, size_t(d.T));
    out_proj_backward(d, B, la.Q, la.z.data(), p(ParamKind::W_O, l), a.dR.data(), g(ParamKind::W_O, l),
                      gbias(ParamKind::b_O, l), a.dZ.data(), a.dXq.data());
    attention_backward(d, B, la.Q, la.q.data(), la.k.data(), la.v.data(), la.pattern.data(), a.dZ.data(),
                       a.dq.data(), a.dk.data(), a.dv.data(), a.dpat.data());
    if (l == 0 && a.mode == Mode::Fast) {  // factored: into the table gradients; the residual path into W_E, W_pos
      qkv_tables_backward(d, B, la.Q, lrows, a.tokens.data(), a.dq.data(), a.dk.data(), a.dv.data(), *tg,
                          gbias(ParamKind::b_Q, 0), gbias(ParamKind::b_K, 0), gbias(ParamKind::b_V, 0));
      embed_backward(d, B, la.Q, lrows, a.tokens.data(), a.dXq.data(), gWE, gWP);
      continue;
    }
    a.dX.assign(NT * d.D, S(0));
    qkv_backward(d, B, la.Q, la.x.data(), la.xq.data(), p(ParamKind::W_Q, l), p(ParamKind::W_K, l),
                 p(ParamKind::W_V, l), a.dq.data(), a.dk.data(), a.dv.data(), g(ParamKind::W_Q, l),
                 g(ParamKind::W_K, l), g(ParamKind::W_V, l), gbias(ParamKind::b_Q, l), gbias(ParamKind::b_K, l),
                 gbias(ParamKind::b_V, l), a.dXq.data(), a.dX.data());
    gather_rows_backward(d, B, la.Q, lrows, a.dXq.data(), a.dX.data());
    if (l > 0) std::swap(a.dR, a.dX);  // d resid_post of layer l-1 (all T rows)
    else embed_backward(d, B, d.T, a.all_rows.data(), a.tokens.data(), a.dX.data(), gWE, gWP);
  }
}

#define HC_INSTANTIATE(S)                                                                                    \
  template void forward<S>(const ModelConfig&, const ParamTable&, const S*, const EmbedTables<S>*,           \
                           const int32_t*, int, const int32_t*, int, Mode, const Hooks<S>*, Activations<S>&); \
  template double cross_entropy<S>(Activations<S>&, int, const int32_t*, S);                                \
  template void backward<S>(const ModelConfig&, const ParamTable&, const S*, Activations<S>&, S*,            \
                            TableGrads<S>*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc
