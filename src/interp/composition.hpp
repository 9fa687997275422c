#pragma once
// Q-, K- and V-composition scores between every head of an earlier layer and
// every head of a later one ("A Mathematical Framework for Transformer
// Circuits"; TransformerLens's all_composition_scores). With the row-vector
// convention x W (TransformerLens's), OV_h = W_V[h] W_O[h] and
// QK_h = W_Q[h] W_K[h]^T, both [D,D]; for sender s (layer l1) and receiver r
// (layer l2 > l1):
//   Q: |OV_s QK_r|   / (|OV_s| |QK_r|)   the sender writes what r's query reads
//   K: |OV_s QK_r^T| / (|OV_s| |QK_r|)   ... what r's key reads
//   V: |OV_s OV_r|   / (|OV_s| |OV_r|)   ... what r's value reads
// with |.| the Frobenius norm. A score says nothing alone: the baseline is the
// same score for Gaussian matrices of the same shapes (independent W_Q, W_K,
// W_V, W_O drawn per sample), its mean and standard deviation over draws.
#include <cstdint>
#include <vector>

#include "model/model.hpp"

namespace hc {

enum class CompositionKind { q, k, v };
const char* composition_kind_name(CompositionKind k);  // "q", "k", "v"

struct CompositionScores {
  int L = 0, H = 0;
  // [3][L*H sender][L*H receiver] (flat head index layer * H + head); 0 where
  // the receiver is not in a later layer than the sender.
  std::vector<double> scores;
  double at(CompositionKind k, int sender, int receiver) const {
    return scores[(size_t(k) * L * H + size_t(sender)) * L * H + size_t(receiver)];
  }
  // The random baseline per kind: mean and standard deviation of the score.
  double baseline_mean[3] = {0, 0, 0}, baseline_sd[3] = {0, 0, 0};
  int baseline_draws = 0;
};

// Throws hc::Error for a one-layer model (nothing composes).
CompositionScores composition_scores(const Model<float>& model, int baseline_draws = 200, uint64_t seed = 1);

}  // namespace hc
