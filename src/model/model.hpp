#pragma once
// A model: its config, its parameter table and the flat parameter buffer.
// Batched forward/backward split the batch into fixed chunks of kChunk
// examples, run the chunks in parallel, and add their gradients in chunk order,
// so the result is bit-identical at any thread count.
#include <cstdint>
#include <vector>

#include "model/config.hpp"
#include "model/params.hpp"
#include "model/transformer.hpp"
#include "model/two_layer.hpp"

namespace hc {

// Model inputs for a batch: tokens [B,T]; rows [B,P] query rows (the loss
// positions); targets [B,P] (-1: no loss at that row).
struct Batch {
  int B = 0, T = 0, P = 0;
  std::vector<int32_t> tokens, rows, targets;
};

template <class S>
class Model {
 public:
  explicit Model(const ModelConfig& cfg);
  const ModelConfig& config() const { return cfg_; }
  const ParamTable& table() const { return table_; }
  std::vector<S>& params() { return params_; }
  const std::vector<S>& params() const { return params_; }
  const S* param(ParamKind k, int layer = -1) const { return params_.data() + table_.get(k, layer).offset; }
  S* param(ParamKind k, int layer = -1) { return params_.data() + table_.get(k, layer).offset; }

  // Weights ~ N(0, init_std), biases 0. Deterministic in the seed.
  void init(uint64_t seed);

  // Mean cross-entropy over the batch's loss rows; writes the gradient (same
  // layout as params) into grad, overwriting it.
  double loss_and_grad(const Batch& batch, std::vector<S>& grad, int threads);
  // Logits at the batch's query rows [B,P,V]; mean loss too if targets given.
  double logits(const Batch& batch, std::vector<S>& out, int threads);
  // Full forward of a single chunk with hooks (all hook points written).
  void run_full(const int32_t* tokens, int B, const int32_t* rows, int Q, const Hooks<S>* hooks,
                Activations<S>& acts) const;

  // Two-layer models run loss_and_grad and logits through the folded path
  // (two_layer.hpp) unless it is switched off; off, they take the plain Fast
  // path, the oracle the tests and benchmarks compare against.
  void set_folded(bool on) { folded_ = on; }
  bool folded() const { return folded_ && cfg_.n_layers == 2; }

  static constexpr int kChunk = 32;

 private:
  ModelConfig cfg_;
  ParamTable table_;
  std::vector<S> params_;
  // Scratch, reused across calls.
  EmbedTables<S> tables_;
  std::vector<Activations<S>> acts_;       // one per thread
  std::vector<std::vector<S>> chunk_grad_; // one per chunk
  std::vector<TableGrads<S>> chunk_tg_;    // one per chunk
  std::vector<double> chunk_loss_;
  // The folded two-layer path's scratch.
  bool folded_ = true;
  TwoLayerTables<S> tl_tables_;
  std::vector<TwoLayerActs<S>> tl_acts_;    // one per thread
  std::vector<TwoLayerGrads<S>> chunk_tlg_; // one per chunk
  TableGrads<S> tl_tg_;
};

}  // namespace hc
