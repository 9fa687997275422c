#include "model/model.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "core/rng.hpp"
#include "model/ops.hpp"

namespace hc {

template <class S>
Model<S>::Model(const ModelConfig& cfg) : cfg_(cfg), table_(cfg), params_(table_.total(), S(0)) {}

template <class S>
void Model<S>::init(uint64_t seed) {
  Rng rng(seed, 0x1A17);
  const double std = cfg_.effective_init_std();
  const bool puzzle = cfg_.init == "puzzle";
  for (const auto& e : table_.entries()) {
    const bool is_bias = e.kind == ParamKind::b_Q || e.kind == ParamKind::b_K || e.kind == ParamKind::b_V ||
                         e.kind == ParamKind::b_O || e.kind == ParamKind::b_U;
    const bool linear = e.kind == ParamKind::W_Q || e.kind == ParamKind::W_K || e.kind == ParamKind::W_V ||
                        e.kind == ParamKind::W_O;
    if (is_bias) {
      for (size_t i = 0; i < e.size; ++i) params_[e.offset + i] = S(0);
    } else if (puzzle && linear) {
      // nn.Linear's default: U(-b, b), b = 1/sqrt(fan_in); W_O reads the H*E
      // concatenated head outputs, Q, K and V read the D-wide residual.
      const double fan_in = e.kind == ParamKind::W_O ? double(cfg_.n_heads) * cfg_.d_head : double(cfg_.d_model);
      const double b = 1.0 / std::sqrt(fan_in);
      for (size_t i = 0; i < e.size; ++i) params_[e.offset + i] = S((2.0 * rng.uniform() - 1.0) * b);
    } else {
      const double s = puzzle ? 0.02 : std;  // the puzzle's embeddings and unembedding: N(0, 0.02)
      for (size_t i = 0; i < e.size; ++i) params_[e.offset + i] = S(rng.normal() * s);
    }
  }
}

template <class S>
double Model<S>::loss_and_grad(const Batch& batch, std::vector<S>& grad, int threads) {
  const int n_chunks = (batch.B + kChunk - 1) / kChunk;
  threads = std::max(1, std::min(threads, n_chunks));
  const bool fold = folded();
  if (fold) {
    build_two_layer_tables(cfg_, table_, params_.data(), tl_tables_);
    if (int(tl_acts_.size()) < threads) tl_acts_.resize(threads);
    if (int(chunk_tlg_.size()) < n_chunks) chunk_tlg_.resize(n_chunks);
  } else {
    build_embed_tables(cfg_, table_, params_.data(), tables_);
    if (int(acts_.size()) < threads) acts_.resize(threads);
    if (int(chunk_tg_.size()) < n_chunks) chunk_tg_.resize(n_chunks);
  }
  if (int(chunk_grad_.size()) < n_chunks) chunk_grad_.resize(n_chunks);
  chunk_loss_.assign(n_chunks, 0.0);
  int n_rows = 0;
  for (int t : batch.targets) n_rows += t >= 0;
  const S scale = S(1) / S(std::max(1, n_rows));

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int c = 0; c < n_chunks; ++c) {
    const int b0 = c * kChunk, nb = std::min(kChunk, batch.B - b0);
    const int32_t* tokens = batch.tokens.data() + size_t(b0) * batch.T;
    const int32_t* rows = batch.rows.data() + size_t(b0) * batch.P;
    const int32_t* targets = batch.targets.data() + size_t(b0) * batch.P;
    chunk_grad_[c].assign(table_.total(), S(0));
    if (fold) {
      TwoLayerActs<S>& a = tl_acts_[omp_get_thread_num()];
      chunk_tlg_[c].resize(cfg_);
      chunk_tlg_[c].zero();
      two_layer_forward(cfg_, table_, params_.data(), tl_tables_, tokens, nb, rows, batch.P, a);
      a.dlogits.resize(a.logits.size());
      chunk_loss_[c] = ops::cross_entropy(a.logits.size() / size_t(cfg_.d_vocab), cfg_.d_vocab, a.logits.data(),
                                          targets, scale, a.dlogits.data());
      two_layer_backward(cfg_, table_, params_.data(), tl_tables_, a, chunk_grad_[c].data(), chunk_tlg_[c]);
      continue;
    }
    Activations<S>& a = acts_[omp_get_thread_num()];
    chunk_tg_[c].resize(cfg_);
    chunk_tg_[c].zero();
    forward(cfg_, table_, params_.data(), &tables_, tokens, nb, rows, batch.P, Mode::Fast,
            static_cast<const Hooks<S>*>(nullptr), a);
    chunk_loss_[c] = cross_entropy(a, cfg_.d_vocab, targets, scale);
    backward(cfg_, table_, params_.data(), a, chunk_grad_[c].data(), &chunk_tg_[c]);
  }

  // Reduce in chunk order (fixed, whatever the thread count): each element is
  // 0 + chunk 0 + chunk 1 + ...; the threads take disjoint element ranges.
  grad.assign(table_.total(), S(0));
  constexpr size_t kRange = 4096;
  const int n_ranges = int((grad.size() + kRange - 1) / kRange);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int r = 0; r < n_ranges; ++r) {
    const size_t i0 = size_t(r) * kRange, n = std::min(kRange, grad.size() - i0);
    S* __restrict out = grad.data() + i0;
    for (int c = 0; c < n_chunks; ++c) {
      const S* __restrict g = chunk_grad_[c].data() + i0;
      for (size_t i = 0; i < n; ++i) out[i] += g[i];
    }
  }
  double loss = 0;
  for (int c = 0; c < n_chunks; ++c) {
    loss += chunk_loss_[c];
    if (c == 0) continue;
    if (fold) chunk_tlg_[0].add(chunk_tlg_[c]);
    else chunk_tg_[0].add(chunk_tg_[c]);
  }
  if (fold) finish_two_layer_grads(cfg_, table_, params_.data(), tl_tables_, chunk_tlg_[0], tl_tg_, grad.data());
  else finish_table_grads(cfg_, table_, params_.data(), chunk_tg_[0], grad.data());
  return loss / std::max(1, n_rows);
}

template <class S>
double Model<S>::logits(const Batch& batch, std::vector<S>& out, int threads) {
  const int n_chunks = (batch.B + kChunk - 1) / kChunk;
  threads = std::max(1, std::min(threads, n_chunks));
  const bool fold = folded();
  if (fold) {
    build_two_layer_tables(cfg_, table_, params_.data(), tl_tables_);
    if (int(tl_acts_.size()) < threads) tl_acts_.resize(threads);
  } else {
    build_embed_tables(cfg_, table_, params_.data(), tables_);
    if (int(acts_.size()) < threads) acts_.resize(threads);
  }
  const int V = cfg_.d_vocab;
  out.resize(size_t(batch.B) * batch.P * V);
  chunk_loss_.assign(n_chunks, 0.0);
  int n_rows = 0;
  for (int t : batch.targets) n_rows += t >= 0;
  const bool with_loss = !batch.targets.empty();

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int c = 0; c < n_chunks; ++c) {
    const int b0 = c * kChunk, nb = std::min(kChunk, batch.B - b0);
    const int32_t* tokens = batch.tokens.data() + size_t(b0) * batch.T;
    const int32_t* rows = batch.rows.data() + size_t(b0) * batch.P;
    std::vector<S>* logits = nullptr;
    std::vector<S>* dlogits = nullptr;
    if (fold) {
      TwoLayerActs<S>& a = tl_acts_[omp_get_thread_num()];
      two_layer_forward(cfg_, table_, params_.data(), tl_tables_, tokens, nb, rows, batch.P, a);
      logits = &a.logits;
      dlogits = &a.dlogits;
    } else {
      Activations<S>& a = acts_[omp_get_thread_num()];
      forward(cfg_, table_, params_.data(), &tables_, tokens, nb, rows, batch.P, Mode::Fast,
              static_cast<const Hooks<S>*>(nullptr), a);
      logits = &a.logits;
      dlogits = &a.dlogits;
    }
    std::copy(logits->begin(), logits->end(), out.begin() + size_t(b0) * batch.P * V);
    if (with_loss) {
      dlogits->resize(logits->size());
      chunk_loss_[c] = ops::cross_entropy(logits->size() / size_t(V), V, logits->data(),
                                          batch.targets.data() + size_t(b0) * batch.P, S(1), dlogits->data());
    }
  }
  double loss = 0;
  for (double l : chunk_loss_) loss += l;
  return with_loss ? loss / std::max(1, n_rows) : 0.0;
}

template <class S>
void Model<S>::run_full(const int32_t* tokens, int B, const int32_t* rows, int Q, const Hooks<S>* hooks,
                        Activations<S>& acts) const {
  forward(cfg_, table_, params_.data(), static_cast<const EmbedTables<S>*>(nullptr), tokens, B, rows, Q,
          Mode::Full, hooks, acts);
}

template class Model<float>;
template class Model<double>;

}  // namespace hc
