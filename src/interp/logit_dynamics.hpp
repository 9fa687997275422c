#pragma once
// Logit dynamics of a one-layer Count01 model (ANALYSES.md part A: "heads are
// biased toward 4 or 5; the output layer aggregates them non-uniformly so
// that the answer wins at `=` and EOS wins one step later"). At the `=`
// position and at the answer position (the one after `=`, holding the answer
// token) the logits of `4`, `5` and `EOS` are split into direct parts:
//
//   logit_t = embed·u_t + pos·u_t + sum_h r_h·u_t + (b_O·u_t + b_U[t])
//
// (`pos` is 0 without positional embeddings, `bias` 0 without biases), and
// averaged over examples by answer class. docs/COUNT01_METRICS.md defines
// every figure.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// The two positions: `=` (index 0) and the answer position (index 1).
inline constexpr int kLogitPositions = 2;
// The three tokens followed: `4`, `5`, `EOS` (indices 0, 1, 2).
inline constexpr int kLogitTokens = 3;

// Per example, position and part, the direct contribution to the logits of
// `4`, `5` and `EOS`, and the model's own logits there.
struct LogitDecomposition {
  int N = 0, H = 0, V = 0;
  // Parts in this order: embed, pos, head 0 .. head H-1, bias.
  int n_parts() const { return H + 3; }
  std::vector<double> parts;  // [N, 2 positions, n_parts, 3 tokens]
  std::vector<float> logits;  // [N, 2 positions, V] from the forward pass
  std::vector<int> answer;    // [N] the answer token (4 or 5)
  double part(int i, int pos, int p, int tok) const {
    return parts[((size_t(i) * kLogitPositions + pos) * n_parts() + p) * kLogitTokens + tok];
  }
};

// One forward pass with query rows `=` and `=`+1 per example. Throws hc::Error
// unless the model is a one-layer model of the Count01 task, or if an example
// has no `=` at its query position or no answer token after it.
LogitDecomposition decompose_count01_logits(const Model<float>& model, const Task& task, const Dataset& data);

struct LogitDynamicsResult {
  // {"dataset", "n_examples", "n_answer_4", "n_answer_5",
  //  "answer_top_at_eq", "eos_top_at_answer", "both",
  //  "mean_logits": {"eq"|"answer": {"4"|"5"|"all": {"4","5","EOS"}}},
  //  "parts": {"eq"|"answer": {"4"|"5"|"all": {"embed"|"pos"|"heads"|"bias": {"4","5","EOS"}}}},
  //  "heads": [{"head", "bias_45", "toward", "bias_45_answer", "share_of_logit_diff",
  //             "wo_wu_norm": {"4","5","EOS"},
  //             "favours": {"eq"|"answer": {"4"|"5"|"all": token}},
  //             "favours_rate": {"eq"|"answer": {"4","5","EOS"}}}],
  //  "n_toward_4", "n_toward_5", "max_abs_residual"}
  nlohmann::json summary;
  // "logit_dynamics": head (index, or embed/pos/bias/logit), position, answer,
  // token, contribution; "logit_dynamics_heads": one row per head.
  std::vector<Table> tables;
};

LogitDynamicsResult logit_dynamics(const Model<float>& model, const Task& task, const Dataset& data);

}  // namespace hc
