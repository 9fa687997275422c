#pragma once
// Forward and backward of an attention-only transformer over one chunk of a
// batch. Plain buffers with explicit shapes; nothing is allocated per call once
// the activations have been sized. Letters: B batch (chunk), T positions,
// Q query rows, D d_model, H heads, E d_head, V vocabulary.
//
// Two modes share one code path:
//  - Fast: layer 0 reads q/k/v from per-token and per-position tables
//    (W_E W_Q and W_pos W_Q, ...), because layer 0's input is always
//    embed + pos; only the selected query rows (e.g. the loss positions) get
//    queries in the last layer; per-head results are not materialised.
//  - Full: every hook point is written and hooks fire; layer 0 multiplies the
//    materialised residual. This is what caches and interventions use.
// A test checks that both give the same logits and gradients.
#include <cstdint>
#include <vector>

#include "model/config.hpp"
#include "model/hooks.hpp"
#include "model/params.hpp"

namespace hc {

enum class Mode { Fast, Full };

template <class S>
struct LayerActs {
  int Q = 0;                 // query rows of this layer (T except in the last layer)
  std::vector<S> x;          // resid_pre [B,T,D]; empty for a factored layer 0
  std::vector<S> xq;         // resid_pre at the query rows [B,Q,D]
  std::vector<S> q;          // [B,Q,H,E]
  std::vector<S> k, v;       // [B,T,H,E]
  std::vector<S> scores;     // [B,H,Q,T], masked entries -inf
  std::vector<S> pattern;    // [B,H,Q,T]
  std::vector<S> z;          // [B,Q,H,E]
  std::vector<S> result;     // [B,Q,H,D], Full mode only
  std::vector<S> attn_out;   // [B,Q,D]
  std::vector<S> resid_post; // [B,Q,D]
};

// Layer-0 factor tables: q = TQ_E[token] + TQ_P[position] + b_Q, etc.
template <class S>
struct EmbedTables {
  std::vector<S> qe, ke, ve;  // [V, H*E]
  std::vector<S> qp, kp, vp;  // [T, H*E] (empty without positional embedding)
};

template <class S>
struct Activations {
  int B = 0, T = 0, Q = 0;   // Q: query rows in the last layer
  Mode mode = Mode::Fast;
  std::vector<int32_t> tokens;  // [B,T]
  std::vector<int32_t> rows;    // [B,Q] input position of each last-layer query row
  std::vector<int32_t> all_rows;// [B,T] identity rows for the other layers
  std::vector<S> embed, pos;    // [B,T,D], Full mode only
  std::vector<LayerActs<S>> layers;
  std::vector<S> logits;        // [B,Q,V]
  // Backward scratch, sized on first use.
  std::vector<S> dlogits, dR, dZ, dq, dk, dv, dX, dXq, dpat;
};

// Gradients of the layer-0 factor tables, accumulated per chunk.
template <class S>
struct TableGrads {
  std::vector<S> qe, ke, ve, qp, kp, vp;
  void resize(const ModelConfig& c);
  void zero();
  void add(const TableGrads& o);
};

template <class S>
void build_embed_tables(const ModelConfig& c, const ParamTable& pt, const S* params, EmbedTables<S>& t);

// Runs the forward pass on B examples. tokens [B,T]; rows [B,Q] selects the
// query rows of the last layer (nullptr: all T positions, Q = T). `tables` is
// required in Fast mode. Hooks fire only in Full mode.
template <class S>
void forward(const ModelConfig& c, const ParamTable& pt, const S* params, const EmbedTables<S>* tables,
             const int32_t* tokens, int B, const int32_t* rows, int Q, Mode mode, const Hooks<S>* hooks,
             Activations<S>& a);

// Cross-entropy over the last-layer query rows against targets [B,Q] (a target
// < 0 is skipped). Returns the summed loss and writes dlogits scaled by
// `scale` (1 / number of loss rows in the whole batch).
template <class S>
double cross_entropy(Activations<S>& a, int V, const int32_t* targets, S scale);

// Backward from a.dlogits, adding into grad (flat, same layout as params) and,
// for a factored layer 0, into tg. Gives the gradient of the forward without
// hook edits.
template <class S>
void backward(const ModelConfig& c, const ParamTable& pt, const S* params, Activations<S>& a, S* grad,
              TableGrads<S>* tg);

// Turns reduced table gradients into W_E, W_pos, W_Q, W_K, W_V gradients.
template <class S>
void finish_table_grads(const ModelConfig& c, const ParamTable& pt, const S* params, const TableGrads<S>& tg,
                        S* grad);

}  // namespace hc
