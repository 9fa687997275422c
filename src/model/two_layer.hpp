#pragma once
// The folded training path of a two-layer model (Model uses it for L = 2 in
// loss_and_grad and logits; the plain Fast/Full path of transformer.hpp stays
// as the test oracle). Exact up to float rounding: it computes the same
// function, regrouped so that most of the work becomes per-step tables and a
// few well-shaped matrix products.
//
//  - Layer 0 reads only embed + pos, so its q, k, v are per-token and
//    per-position tables (as in the plain Fast path), and so are its attention
//    scores: score[h,i,j] = tt[h,tok_i,tok_j] + tp[h,tok_i,j] + pt[h,i,tok_j] +
//    pp[h,i,j] (only tt without positional embedding), tables of q.k / sqrt(E)
//    built once per step. Biases b_Q, b_K, b_V fold into the tables.
//  - Layer 0's output reaches layer 1's keys and values only through
//    z0 W_O0 W_K1 and z0 W_O0 W_V1, so with x_j = [z0_j | onehot(tok_j) |
//    onehot(j)] (width X = HE + V + T, or HE + V without positions),
//    k1_j | v1_j = x_j wx, wx [X, 2HE] = [W_O0; W_E; W_pos] [W_K1 | W_V1]
//    (b_O0 and b_K1, b_V1 folded into its embed or position rows). Layer 1 is
//    the last, and its queries are few (the loss rows), so instead of keys
//    and values at every position it contracts each query with wx once:
//    qt = wx_K,h q1_h / sqrt(E) in R^X, score_j = x_j . qt (a dot with z0_j
//    plus two table reads), and mixes x before wx_V: z1_h = (sum_j p_j x_j)
//    wx_V,h. Per example that is about a third of the multiply-adds of
//    z0 [T, HE] x wx [HE, 2HE], in small kernels over the (query row, head)
//    pairs, and the products with wx run once per query row.
//  - Layer 1 (the last) needs queries, attention, results and logits only at
//    the batch's loss rows; its residual there is embed + pos + z0 W_O0 + b_O0
//    at those rows.
// Backward runs the same steps in reverse and leaves gradients of the tables
// per chunk (TwoLayerGrads); the caller adds them in chunk order and
// finish_two_layer_grads turns them into weight gradients once per step, so the
// result is bit-identical at any thread count.
//
// Letters: B examples (a chunk), T positions, P query rows per example, D
// d_model, H heads, E d_head, V vocabulary, HE = H*E.
#include <cstdint>
#include <vector>

#include "model/config.hpp"
#include "model/params.hpp"
#include "model/transformer.hpp"

namespace hc {

// Built from the parameters once per step (build_two_layer_tables).
template <class S>
struct TwoLayerTables {
  EmbedTables<S> e0;              // layer 0 q/k/v tables [V,HE] and [T,HE], b_Q/b_K/b_V folded in
  std::vector<S> tt, tp, pt, pp;  // layer 0 scores / sqrt(E): [H,V,V], [H,V,T], [H,T,V], [H,T,T]
  std::vector<S> wq1;             // layer 1 W_Q as one matrix [D,HE]
  std::vector<S> wkv1;            // layer 1 [W_K | W_V] as one matrix [D,2HE]
  std::vector<S> wx;              // [W_O0; W_E; W_pos] wkv1 [X,2HE]; b_O0 wkv1 + [b_K|b_V] folded into one block
};

// Width of layer 1's extended key input x_j = [z0_j | onehot(tok_j) | onehot(j)].
inline int two_layer_x(const ModelConfig& c) {
  return c.n_heads * c.d_head + c.d_vocab + (c.pos_embed ? c.n_ctx : 0);
}

// Gradients of the tables, one set per chunk (same shapes as TwoLayerTables).
template <class S>
struct TwoLayerGrads {
  std::vector<S> tt, tp, pt, pp;
  std::vector<S> ve, vp;  // layer 0 value tables
  std::vector<S> wq1, wx;
  void resize(const ModelConfig& c);
  void zero();
  void add(const TwoLayerGrads& o);
};

// One chunk's activations (and backward scratch); sized by the forward.
template <class S>
struct TwoLayerActs {
  int B = 0, P = 0;
  const int32_t* tokens = nullptr;  // [B,T], the caller's batch
  const int32_t* rows = nullptr;    // [B,P]
  std::vector<S> pattern0;          // [B,H,T,T] (entries after the query row unused)
  std::vector<S> v0, z0;            // [B,T,HE]
  std::vector<S> zq0;               // z0 at the query rows [B,P,HE]
  std::vector<S> xq1;               // layer 1 resid_pre at the query rows [B,P,D]
  std::vector<S> q1, z1;            // [B,P,HE]
  std::vector<S> qt, y;             // per (query row, head) [B,P,H,X]: contracted query, mixed x
  std::vector<S> pattern1;          // [B,P,H,T], zero after the query row
  std::vector<S> resid1;            // [B,P,D]
  std::vector<S> logits, dlogits;   // [B,P,V]
  std::vector<S> dR1, dxq1;         // [B,P,D]
  std::vector<S> dz1, dq1, dzq0;    // [B,P,HE]
  std::vector<S> dqt, dy;           // [B,P,H,X]
  std::vector<S> dz0, dv0;          // [B,T,HE]
  std::vector<S> keys1, ds1;        // per-example scratch [P*H,T]
};

template <class S>
void build_two_layer_tables(const ModelConfig& c, const ParamTable& pt, const S* params, TwoLayerTables<S>& t);
// Adds the reduced table gradients into grad (flat, same layout as params).
// tg: scratch for the layer-0 q/k/v table gradients.
template <class S>
void finish_two_layer_grads(const ModelConfig& c, const ParamTable& pt, const S* params, const TwoLayerTables<S>& t,
                            const TwoLayerGrads<S>& g, TableGrads<S>& tg, S* grad);

// Logits at the query rows of B examples: tokens [B,T], rows [B,P]. The
// pointers are kept in `a` for the backward.
template <class S>
void two_layer_forward(const ModelConfig& c, const ParamTable& pt, const S* params, const TwoLayerTables<S>& t,
                       const int32_t* tokens, int B, const int32_t* rows, int P, TwoLayerActs<S>& a);
// From a.dlogits: adds the gradients of W_U, b_U, layer 1's W_O, b_O, b_Q and
// layer 0's W_O, b_O, and W_E, W_pos at the query rows into grad, and the rest
// into the table gradients g.
template <class S>
void two_layer_backward(const ModelConfig& c, const ParamTable& pt, const S* params, const TwoLayerTables<S>& t,
                        TwoLayerActs<S>& a, S* grad, TwoLayerGrads<S>& g);

}  // namespace hc
