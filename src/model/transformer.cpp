#include "model/transformer.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

namespace hc {

namespace {

template <class S>
using RM = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using Mat = Eigen::Map<RM<S>, 0, Eigen::OuterStride<>>;
template <class S>
using CMat = Eigen::Map<const RM<S>, 0, Eigen::OuterStride<>>;

// A row-major [rows, cols] matrix at p whose rows are `stride` apart.
template <class S>
Mat<S> mat(S* p, Eigen::Index rows, Eigen::Index cols, Eigen::Index stride) {
  return Mat<S>(p, rows, cols, Eigen::OuterStride<>(stride));
}
template <class S>
CMat<S> cmat(const S* p, Eigen::Index rows, Eigen::Index cols, Eigen::Index stride) {
  return CMat<S>(p, rows, cols, Eigen::OuterStride<>(stride));
}

template <class S>
void fit(std::vector<S>& v, size_t n) {
  if (v.size() != n) v.resize(n);
}

// Dimensions, read once.
struct Dims {
  int L, D, H, E, V, T, HE;
  explicit Dims(const ModelConfig& c)
      : L(c.n_layers), D(c.d_model), H(c.n_heads), E(c.d_head), V(c.d_vocab), T(c.n_ctx),
        HE(c.n_heads * c.d_head) {}
};

template <class S>
const S* param(const ParamTable& pt, const S* params, ParamKind k, int layer = -1) {
  return params + pt.get(k, layer).offset;
}
template <class S>
S* grad_of(const ParamTable& pt, S* grad, ParamKind k, int layer = -1) {
  return grad + pt.get(k, layer).offset;
}

// ---- attention core: scores, softmax, weighted values (forward / backward) ----

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

// Backward of mix, softmax and scores together: from dz to dq, dk, dv.
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

// dst = a + b (b may be null); dst += src. Restrict-qualified so they vectorise.
template <class S>
inline void set_sum(S* __restrict dst, const S* __restrict a, const S* __restrict b, int n) {
  if (b)
    for (int i = 0; i < n; ++i) dst[i] = a[i] + b[i];
  else
    for (int i = 0; i < n; ++i) dst[i] = a[i];
}
template <class S>
inline void accumulate(S* __restrict dst, const S* __restrict src, int n) {
  for (int i = 0; i < n; ++i) dst[i] += src[i];
}

template <class S>
void add_bias_rows(S* x, size_t n_rows, int width, const S* bias) {
  for (size_t r = 0; r < n_rows; ++r)
    for (int c = 0; c < width; ++c) x[r * width + c] += bias[c];
}
template <class S>
void add_colsum(const S* x, size_t n_rows, int width, S* out) {
  for (size_t r = 0; r < n_rows; ++r)
    for (int c = 0; c < width; ++c) out[c] += x[r * width + c];
}

}  // namespace

// ---- layer-0 factor tables ----

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

// ---- forward ----

template <class S>
void forward(const ModelConfig& c, const ParamTable& pt, const S* params, const EmbedTables<S>* tables,
             const int32_t* tokens, int B, const int32_t* rows, int Q, Mode mode, const Hooks<S>* hooks,
             Activations<S>& a) {
  const Dims d(c);
  const bool full = mode == Mode::Full;
  const bool factored = !full;
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

  const S* WE = param(pt, params, ParamKind::W_E);
  const S* WP = c.pos_embed ? param(pt, params, ParamKind::W_pos) : nullptr;
  const size_t NT = size_t(B) * d.T;

  if (full) {
    fit(a.embed, NT * d.D);
    fit(a.pos, NT * d.D);
    for (size_t n = 0; n < NT; ++n) {
      std::copy_n(WE + size_t(a.tokens[n]) * d.D, d.D, a.embed.data() + n * d.D);
      const int t = int(n % d.T);
      if (WP) std::copy_n(WP + size_t(t) * d.D, d.D, a.pos.data() + n * d.D);
      else std::fill_n(a.pos.data() + n * d.D, d.D, S(0));
    }
    fire(Site::embed, -1, a.embed, {B, d.T, d.D}, a.all_rows.data());
    fire(Site::pos_embed, -1, a.pos, {B, d.T, d.D}, a.all_rows.data());
  }

  for (int l = 0; l < d.L; ++l) {
    LayerActs<S>& la = a.layers[l];
    const bool last = l == d.L - 1;
    la.Q = last ? a.Q : d.T;
    const int32_t* lrows = last ? a.rows.data() : a.all_rows.data();
    const size_t NQ = size_t(B) * la.Q;
    fit(la.xq, NQ * d.D);
    fit(la.q, NQ * d.HE);
    fit(la.k, NT * d.HE);
    fit(la.v, NT * d.HE);
    const S* bQ = c.biases ? param(pt, params, ParamKind::b_Q, l) : nullptr;
    const S* bK = c.biases ? param(pt, params, ParamKind::b_K, l) : nullptr;
    const S* bV = c.biases ? param(pt, params, ParamKind::b_V, l) : nullptr;

    if (l == 0 && factored) {
      la.x.clear();
      for (size_t n = 0; n < NQ; ++n) {
        const int b = int(n / la.Q), row = lrows[n];
        const int tok = a.tokens[size_t(b) * d.T + row];
        set_sum(la.xq.data() + n * d.D, WE + size_t(tok) * d.D, WP ? WP + size_t(row) * d.D : nullptr, d.D);
        set_sum(la.q.data() + n * d.HE, tables->qe.data() + size_t(tok) * d.HE,
                WP ? tables->qp.data() + size_t(row) * d.HE : nullptr, d.HE);
      }
      for (size_t n = 0; n < NT; ++n) {
        const int t = int(n % d.T), tok = a.tokens[n];
        set_sum(la.k.data() + n * d.HE, tables->ke.data() + size_t(tok) * d.HE,
                WP ? tables->kp.data() + size_t(t) * d.HE : nullptr, d.HE);
        set_sum(la.v.data() + n * d.HE, tables->ve.data() + size_t(tok) * d.HE,
                WP ? tables->vp.data() + size_t(t) * d.HE : nullptr, d.HE);
      }
    } else {
      fit(la.x, NT * d.D);
      if (l == 0) {
        for (size_t i = 0; i < NT * d.D; ++i) la.x[i] = a.embed[i] + a.pos[i];
      } else {
        la.x = a.layers[l - 1].resid_post;  // the previous layer has all T rows
      }
      fire(Site::resid_pre, l, la.x, {B, d.T, d.D}, a.all_rows.data());
      for (size_t n = 0; n < NQ; ++n) {
        const int b = int(n / la.Q);
        std::copy_n(la.x.data() + (size_t(b) * d.T + lrows[n]) * d.D, d.D, la.xq.data() + n * d.D);
      }
      auto X = cmat(la.x.data(), NT, d.D, d.D);
      auto Xq = cmat(la.xq.data(), NQ, d.D, d.D);
      const S* WQ = param(pt, params, ParamKind::W_Q, l);
      const S* WK = param(pt, params, ParamKind::W_K, l);
      const S* WV = param(pt, params, ParamKind::W_V, l);
      for (int h = 0; h < d.H; ++h) {
        const size_t w = size_t(h) * d.D * d.E;
        mat(la.q.data() + h * d.E, NQ, d.E, d.HE).noalias() = Xq * cmat(WQ + w, d.D, d.E, d.E);
        mat(la.k.data() + h * d.E, NT, d.E, d.HE).noalias() = X * cmat(WK + w, d.D, d.E, d.E);
        mat(la.v.data() + h * d.E, NT, d.E, d.HE).noalias() = X * cmat(WV + w, d.D, d.E, d.E);
      }
    }
    if (c.biases) {
      add_bias_rows(la.q.data(), NQ, d.HE, bQ);
      add_bias_rows(la.k.data(), NT, d.HE, bK);
      add_bias_rows(la.v.data(), NT, d.HE, bV);
    }
    fire(Site::q, l, la.q, {B, la.Q, d.H, d.E}, lrows);
    fire(Site::k, l, la.k, {B, d.T, d.H, d.E}, a.all_rows.data());
    fire(Site::v, l, la.v, {B, d.T, d.H, d.E}, a.all_rows.data());

    fit(la.scores, size_t(B) * d.H * la.Q * d.T);
    fit(la.pattern, la.scores.size());
    scores_forward(d, B, la.Q, lrows, la.q.data(), la.k.data(), la.scores.data());
    fire(Site::attn_scores, l, la.scores, {B, d.H, la.Q, d.T}, lrows);
    softmax_forward(size_t(B) * d.H * la.Q, d.T, la.scores.data(), la.pattern.data());
    fire(Site::pattern, l, la.pattern, {B, d.H, la.Q, d.T}, lrows);

    fit(la.z, NQ * d.HE);
    mix_forward(d, B, la.Q, la.pattern.data(), la.v.data(), la.z.data());
    fire(Site::z, l, la.z, {B, la.Q, d.H, d.E}, lrows);

    const S* WO = param(pt, params, ParamKind::W_O, l);
    fit(la.attn_out, NQ * d.D);
    auto out = mat(la.attn_out.data(), NQ, d.D, d.D);
    if (full) {
      // Per-head results, so that hooks can read and edit them; attn_out is their sum.
      fit(la.result, NQ * d.H * d.D);
      for (int h = 0; h < d.H; ++h)
        mat(la.result.data() + size_t(h) * d.D, NQ, d.D, size_t(d.H) * d.D).noalias() =
            cmat(la.z.data() + h * d.E, NQ, d.E, d.HE) * cmat(WO + size_t(h) * d.E * d.D, d.E, d.D, d.D);
      fire(Site::result, l, la.result, {B, la.Q, d.H, d.D}, lrows);
      out.setZero();
      for (int h = 0; h < d.H; ++h) out += cmat(la.result.data() + size_t(h) * d.D, NQ, d.D, size_t(d.H) * d.D);
    } else {
      la.result.clear();
      out.noalias() = cmat(la.z.data(), NQ, d.HE, d.HE) * cmat(WO, d.HE, d.D, d.D);
    }
    if (c.biases) add_bias_rows(la.attn_out.data(), NQ, d.D, param(pt, params, ParamKind::b_O, l));
    fire(Site::attn_out, l, la.attn_out, {B, la.Q, d.D}, lrows);

    fit(la.resid_post, NQ * d.D);
    for (size_t i = 0; i < NQ * d.D; ++i) la.resid_post[i] = la.xq[i] + la.attn_out[i];
    fire(Site::resid_post, l, la.resid_post, {B, la.Q, d.D}, lrows);
  }

  const LayerActs<S>& fin = a.layers[d.L - 1];
  const size_t NQ = size_t(B) * a.Q;
  fit(a.logits, NQ * d.V);
  mat(a.logits.data(), NQ, d.V, d.V).noalias() =
      cmat(fin.resid_post.data(), NQ, d.D, d.D) * cmat(param(pt, params, ParamKind::W_U), d.D, d.V, d.V);
  if (c.biases) add_bias_rows(a.logits.data(), NQ, d.V, param(pt, params, ParamKind::b_U));
  fire(Site::logits, -1, a.logits, {B, a.Q, d.V}, a.rows.data());
}

template <class S>
double cross_entropy(Activations<S>& a, int V, const int32_t* targets, S scale) {
  const size_t n_rows = size_t(a.B) * a.Q;
  fit(a.dlogits, n_rows * V);
  double loss = 0;
  for (size_t r = 0; r < n_rows; ++r) {
    const S* z = a.logits.data() + r * V;
    S* g = a.dlogits.data() + r * V;
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

// ---- backward ----

template <class S>
void backward(const ModelConfig& c, const ParamTable& pt, const S* params, Activations<S>& a, S* grad,
              TableGrads<S>* tg) {
  const Dims d(c);
  const int B = a.B;
  const bool factored = a.mode == Mode::Fast;
  const size_t NT = size_t(B) * d.T;
  size_t NQ = size_t(B) * a.Q;

  // logits = resid_final W_U + b_U
  auto dL = cmat(a.dlogits.data(), NQ, d.V, d.V);
  const LayerActs<S>& fin = a.layers[d.L - 1];
  mat(grad_of(pt, grad, ParamKind::W_U), d.D, d.V, d.V).noalias() +=
      cmat(fin.resid_post.data(), NQ, d.D, d.D).transpose() * dL;
  if (c.biases) add_colsum(a.dlogits.data(), NQ, d.V, grad_of(pt, grad, ParamKind::b_U));
  fit(a.dR, NQ * d.D);
  mat(a.dR.data(), NQ, d.D, d.D).noalias() =
      dL * cmat(param(pt, params, ParamKind::W_U), d.D, d.V, d.V).transpose();

  S* gWE = grad_of(pt, grad, ParamKind::W_E);
  S* gWP = c.pos_embed ? grad_of(pt, grad, ParamKind::W_pos) : nullptr;

  for (int l = d.L - 1; l >= 0; --l) {
    LayerActs<S>& la = a.layers[l];
    const bool last = l == d.L - 1;
    const int32_t* lrows = last ? a.rows.data() : a.all_rows.data();
    NQ = size_t(B) * la.Q;
    auto dR = cmat(a.dR.data(), NQ, d.D, d.D);  // d resid_post [B,Q,D]

    // attn_out = z W_O + b_O
    if (c.biases) add_colsum(a.dR.data(), NQ, d.D, grad_of(pt, grad, ParamKind::b_O, l));
    const S* WO = param(pt, params, ParamKind::W_O, l);
    mat(grad_of(pt, grad, ParamKind::W_O, l), d.HE, d.D, d.D).noalias() +=
        cmat(la.z.data(), NQ, d.HE, d.HE).transpose() * dR;
    fit(a.dZ, NQ * d.HE);
    mat(a.dZ.data(), NQ, d.HE, d.HE).noalias() = dR * cmat(WO, d.HE, d.D, d.D).transpose();
    // resid_post = resid_pre(rows) + attn_out: the residual path
    a.dXq.assign(a.dR.begin(), a.dR.begin() + NQ * d.D);

    // attention
    a.dq.assign(NQ * d.HE, S(0));
    a.dk.assign(NT * d.HE, S(0));
    a.dv.assign(NT * d.HE, S(0));
    fit(a.dpat, size_t(d.T));
    attention_backward(d, B, la.Q, la.q.data(), la.k.data(), la.v.data(), la.pattern.data(), a.dZ.data(),
                       a.dq.data(), a.dk.data(), a.dv.data(), a.dpat.data());
    if (c.biases) {
      add_colsum(a.dq.data(), NQ, d.HE, grad_of(pt, grad, ParamKind::b_Q, l));
      add_colsum(a.dk.data(), NT, d.HE, grad_of(pt, grad, ParamKind::b_K, l));
      add_colsum(a.dv.data(), NT, d.HE, grad_of(pt, grad, ParamKind::b_V, l));
    }

    if (l == 0 && factored) {
      // q = TQ_E[token] + TQ_P[row]: scatter into the table gradients, and the
      // residual path straight into W_E and W_pos.
      for (size_t n = 0; n < NQ; ++n) {
        const int b = int(n / la.Q), row = lrows[n];
        const int tok = a.tokens[size_t(b) * d.T + row];
        const S* dq = a.dq.data() + n * d.HE;
        const S* dx = a.dXq.data() + n * d.D;
        accumulate(tg->qe.data() + size_t(tok) * d.HE, dq, d.HE);
        accumulate(gWE + size_t(tok) * d.D, dx, d.D);
        if (gWP) {
          accumulate(tg->qp.data() + size_t(row) * d.HE, dq, d.HE);
          accumulate(gWP + size_t(row) * d.D, dx, d.D);
        }
      }
      for (size_t n = 0; n < NT; ++n) {
        const int t = int(n % d.T), tok = a.tokens[n];
        accumulate(tg->ke.data() + size_t(tok) * d.HE, a.dk.data() + n * d.HE, d.HE);
        accumulate(tg->ve.data() + size_t(tok) * d.HE, a.dv.data() + n * d.HE, d.HE);
        if (gWP) {
          accumulate(tg->kp.data() + size_t(t) * d.HE, a.dk.data() + n * d.HE, d.HE);
          accumulate(tg->vp.data() + size_t(t) * d.HE, a.dv.data() + n * d.HE, d.HE);
        }
      }
      continue;
    }

    // q = x(rows) W_Q, k = x W_K, v = x W_V
    auto X = cmat(la.x.data(), NT, d.D, d.D);
    auto Xq = cmat(la.xq.data(), NQ, d.D, d.D);
    auto dXq = mat(a.dXq.data(), NQ, d.D, d.D);
    fit(a.dX, NT * d.D);
    auto dX = mat(a.dX.data(), NT, d.D, d.D);
    dX.setZero();
    const ParamKind kinds[3] = {ParamKind::W_Q, ParamKind::W_K, ParamKind::W_V};
    for (int m = 0; m < 3; ++m) {
      const S* W = param(pt, params, kinds[m], l);
      S* gW = grad_of(pt, grad, kinds[m], l);
      for (int h = 0; h < d.H; ++h) {
        const size_t w = size_t(h) * d.D * d.E;
        auto Wh = cmat(W + w, d.D, d.E, d.E);
        auto gWh = mat(gW + w, d.D, d.E, d.E);
        if (m == 0) {
          auto dQh = cmat(a.dq.data() + h * d.E, NQ, d.E, d.HE);
          gWh.noalias() += Xq.transpose() * dQh;
          dXq.noalias() += dQh * Wh.transpose();
        } else {
          auto dKh = cmat((m == 1 ? a.dk : a.dv).data() + h * d.E, NT, d.E, d.HE);
          gWh.noalias() += X.transpose() * dKh;
          dX.noalias() += dKh * Wh.transpose();
        }
      }
    }
    for (size_t n = 0; n < NQ; ++n) {
      const int b = int(n / la.Q);
      dX.row(Eigen::Index(size_t(b) * d.T + lrows[n])) += dXq.row(Eigen::Index(n));
    }
    if (l > 0) {
      a.dR.assign(a.dX.begin(), a.dX.end());  // d resid_post of layer l-1 (all T rows)
    } else {
      for (size_t n = 0; n < NT; ++n) {
        const int t = int(n % d.T), tok = a.tokens[n];
        accumulate(gWE + size_t(tok) * d.D, a.dX.data() + n * d.D, d.D);
        if (gWP) accumulate(gWP + size_t(t) * d.D, a.dX.data() + n * d.D, d.D);
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
  template void forward<S>(const ModelConfig&, const ParamTable&, const S*, const EmbedTables<S>*,           \
                           const int32_t*, int, const int32_t*, int, Mode, const Hooks<S>*, Activations<S>&); \
  template double cross_entropy<S>(Activations<S>&, int, const int32_t*, S);                                \
  template void backward<S>(const ModelConfig&, const ParamTable&, const S*, Activations<S>&, S*,            \
                            TableGrads<S>*);                                                                 \
  template void finish_table_grads<S>(const ModelConfig&, const ParamTable&, const S*, const TableGrads<S>&, \
                                      S*);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc
