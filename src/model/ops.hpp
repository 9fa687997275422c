#pragma once
// The operations of the attention-only transformer, one forward/backward pair
// each, over plain buffers (internal to src/model/; transformer.cpp calls them
// in order and fires the hooks between them). Nothing here allocates: the
// caller sizes every buffer. A backward adds into the gradients it is given
// (parameters and inputs alike), so the caller zeroes what starts a sum.
//
// Letters: B examples (a chunk), T positions, Q query rows, D d_model, H heads,
// E d_head, V vocabulary. Row-major; [B,Q,H,E] is also read as [B*Q, H*E].
// `rows` [B,Q] gives the input position of each query row (all T positions
// except in the last layer, where only the loss positions may be queried).
//
//   pair             forward                                backward       file
//   embed            embed_forward, embed_rows_forward      embed_backward ops_embed.cpp
//   qkv              gather_rows_forward, qkv_forward,      gather_rows_backward, qkv_backward,
//                    qkv_tables_forward (factored layer 0)  qkv_tables_backward       ops_qkv.cpp
//   attention        scores_forward, softmax_forward,       attention_backward        ops_attention.cpp
//                    mix_forward
//   out projection   out_proj_forward (Fast),               out_proj_backward         ops_out.cpp
//   + residual       out_proj_heads_forward, out_proj_sum_forward (Full),
//                    residual_forward
//   unembed          unembed_forward                        unembed_backward          ops_unembed.cpp
//   (loss)           cross_entropy: forward and backward in one pass           ops_unembed.cpp
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "model/config.hpp"
#include "model/params.hpp"
#include "model/transformer.hpp"

namespace hc::ops {

// Dimensions, read once.
struct Dims {
  int L, D, H, E, V, T, HE;
  explicit Dims(const ModelConfig& c)
      : L(c.n_layers), D(c.d_model), H(c.n_heads), E(c.d_head), V(c.d_vocab), T(c.n_ctx),
        HE(c.n_heads * c.d_head) {}
};

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

// Resizes only when the size changes (the drivers call it; the ops never do).
template <class S>
void fit(std::vector<S>& v, size_t n) {
  if (v.size() != n) v.resize(n);
}

template <class S>
const S* param(const ParamTable& pt, const S* params, ParamKind k, int layer = -1) {
  return params + pt.get(k, layer).offset;
}
template <class S>
S* grad_of(const ParamTable& pt, S* grad, ParamKind k, int layer = -1) {
  return grad + pt.get(k, layer).offset;
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
// x[r,:] += bias for each of n_rows rows; out += the column sums of x.
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

// ---- embed (ops_embed.cpp) ----
// W_E [V,D], W_pos [T,D] (null without positional embedding).

// Full mode: embed [B,T,D] = W_E[tokens], pos [B,T,D] = W_pos[t] (zeros
// without W_pos), kept apart so that hooks can read and edit each.
template <class S>
void embed_forward(const Dims& d, int B, const int32_t* tokens, const S* WE, const S* WP, S* embed, S* pos);
// Fast layer 0: the residual at the query rows, xq [B,Q,D] = W_E[token at row] + W_pos[row].
template <class S>
void embed_rows_forward(const Dims& d, int B, int Q, const int32_t* rows, const int32_t* tokens, const S* WE,
                        const S* WP, S* xq);
// Both: dW_E[token at row] += dx[b,i,:], dW_pos[row] += dx[b,i,:] for dx [B,Q,D]
// (Full mode passes rows = every position, Q = T).
template <class S>
void embed_backward(const Dims& d, int B, int Q, const int32_t* rows, const int32_t* tokens, const S* dx, S* dWE,
                    S* dWP);

// ---- qkv (ops_qkv.cpp) ----
// W_Q, W_K, W_V [H,D,E]; b_Q, b_K, b_V [H,E] (null without biases).

// xq [B,Q,D] = x [B,T,D] at the query rows.
template <class S>
void gather_rows_forward(const Dims& d, int B, int Q, const int32_t* rows, const S* x, S* xq);
// dx [B,T,D] += dxq [B,Q,D] at the query rows.
template <class S>
void gather_rows_backward(const Dims& d, int B, int Q, const int32_t* rows, const S* dxq, S* dx);

// q [B,Q,H,E] = xq W_Q + b_Q; k, v [B,T,H,E] = x W_K + b_K, x W_V + b_V.
template <class S>
void qkv_forward(const Dims& d, int B, int Q, const S* x, const S* xq, const S* WQ, const S* WK, const S* WV,
                 const S* bQ, const S* bK, const S* bV, S* q, S* k, S* v);
// From dq [B,Q,H,E], dk, dv [B,T,H,E]: dW_Q, dW_K, dW_V, db_Q, db_K, db_V
// (db null without biases), dxq [B,Q,D] += dq W_Q^T, dx [B,T,D] += dk W_K^T + dv W_V^T.
template <class S>
void qkv_backward(const Dims& d, int B, int Q, const S* x, const S* xq, const S* WQ, const S* WK, const S* WV,
                  const S* dq, const S* dk, const S* dv, S* dWQ, S* dWK, S* dWV, S* dbQ, S* dbK, S* dbV, S* dxq,
                  S* dx);

// Layer-0 factor tables (EmbedTables, transformer.hpp): layer 0's input is
// embed + pos, so q = W_E[token] W_Q + W_pos[row] W_Q + b_Q = qe[token] + qp[row] + b_Q.
// Fast layer 0: q [B,Q,H,E] at the query rows, k, v [B,T,H,E] from the tables.
template <class S>
void qkv_tables_forward(const Dims& d, int B, int Q, const int32_t* rows, const int32_t* tokens,
                        const EmbedTables<S>& t, const S* bQ, const S* bK, const S* bV, S* q, S* k, S* v);
// Scatters dq, dk, dv into the table gradients (finish_table_grads turns them
// into weight gradients once per step) and adds db_Q, db_K, db_V.
template <class S>
void qkv_tables_backward(const Dims& d, int B, int Q, const int32_t* rows, const int32_t* tokens, const S* dq,
                         const S* dk, const S* dv, TableGrads<S>& tg, S* dbQ, S* dbK, S* dbV);

// ---- attention (ops_attention.cpp) ----
// scores [B,H,Q,T] = q . k / sqrt(E) for key <= row, -inf after it.
template <class S>
void scores_forward(const Dims& d, int B, int Q, const int32_t* rows, const S* q, const S* k, S* scores);
// pattern = softmax over keys of each of n_rows score rows (-inf keys get weight 0).
template <class S>
void softmax_forward(size_t n_rows, int T, const S* scores, S* pattern);
// z [B,Q,H,E]: z[b,i,h,:] = sum_j pattern[b,h,i,j] v[b,j,h,:].
template <class S>
void mix_forward(const Dims& d, int B, int Q, const S* pattern, const S* v, S* z);
// Backward of mix, softmax and scores together: from dz [B,Q,H,E] add into
// dq [B,Q,H,E], dk, dv [B,T,H,E]. dp: scratch of T values.
template <class S>
void attention_backward(const Dims& d, int B, int Q, const S* q, const S* k, const S* v, const S* pattern,
                        const S* dz, S* dq, S* dk, S* dv, S* dp);

// ---- output projection and residual (ops_out.cpp) ----
// W_O [H,E,D], b_O [D] (null without biases).

// Fast: attn_out [B,Q,D] = z [B,Q,H*E] W_O [H*E,D] + b_O, one product.
template <class S>
void out_proj_forward(const Dims& d, int B, int Q, const S* z, const S* WO, const S* bO, S* attn_out);
// Full, in two steps so that hooks can edit the heads' results in between:
// result [B,Q,H,D] = z_h W_O,h per head, then attn_out [B,Q,D] = sum_h result + b_O.
template <class S>
void out_proj_heads_forward(const Dims& d, int B, int Q, const S* z, const S* WO, S* result);
template <class S>
void out_proj_sum_forward(const Dims& d, int B, int Q, const S* result, const S* bO, S* attn_out);
// resid_post [B,Q,D] = xq + attn_out (also layer 0's x = embed + pos: n values).
template <class S>
void residual_forward(size_t n, const S* a, const S* b, S* out);
// From dresid [B,Q,D] (the gradient of resid_post): dW_O, db_O, dz [B,Q,H,E]
// += dresid W_O^T, and the residual path dxq [B,Q,D] += dresid.
template <class S>
void out_proj_backward(const Dims& d, int B, int Q, const S* z, const S* WO, const S* dresid, S* dWO, S* dbO, S* dz,
                       S* dxq);

// ---- unembed and loss (ops_unembed.cpp) ----
// W_U [D,V], b_U [V] (null without biases).

// logits [B,Q,V] = resid [B,Q,D] W_U + b_U.
template <class S>
void unembed_forward(const Dims& d, int B, int Q, const S* resid, const S* WU, const S* bU, S* logits);
// From dlogits [B,Q,V]: dW_U, db_U, dresid [B,Q,D] += dlogits W_U^T.
template <class S>
void unembed_backward(const Dims& d, int B, int Q, const S* resid, const S* WU, const S* dlogits, S* dWU, S* dbU,
                      S* dresid);
// Cross-entropy of n_rows logit rows [n_rows,V] against targets (< 0: skipped,
// its dlogits row zero). Returns the summed loss; writes dlogits = scale *
// (softmax - onehot), the loss's own forward and backward in one pass.
template <class S>
double cross_entropy(size_t n_rows, int V, const S* logits, const int32_t* targets, S scale, S* dlogits);

}  // namespace hc::ops
