#pragma once
// QK and OV circuits (ANALYSES.md part B), from the weights alone. For layer 0
// the attention score from token a at position i to token b at position j is
// exactly
//   QK_token[a][b] + QK_pos[i][j] + QK_token_pos[a][j] + QK_pos_token[i][b]
// with (/ sqrt(E) throughout, e_a = W_E[a], p_i = W_pos[i])
//   QK_token[a][b]     = (e_a W_Q + b_Q) · (e_b W_K + b_K)
//   QK_pos[i][j]       = (p_i W_Q) · (p_j W_K)
//   QK_token_pos[a][j] = (e_a W_Q + b_Q) · (p_j W_K)
//   QK_pos_token[i][b] = (p_i W_Q) · (e_b W_K + b_K)
// (the query and key biases ride with the token terms). The OV circuit of
// token a is what the head adds to the logits when it attends only to a:
//   OV[a] = (e_a W_V + b_V) W_O W_U   ([V]); b_V is exact here because the
// attention weights sum to 1; b_O and b_U are not per head and are left out.
// Attending only to token a at position j writes OV[a] + OV_pos[j] exactly,
// with OV_pos[j] = p_j W_V W_O W_U.
// Later layers are read through W_E and W_pos too (the direct path only).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct CircuitsResult {
  nlohmann::json summary;
  std::vector<Table> tables;
};

// The token that sits at the task's query position: ANS for Max-of-List, `=`
// for Count01 (read from a generated example, so it works for any task).
int query_token(const Task& task);

// Tables (long format, pivot with pandas):
//   "qk_token"          (layer, head, query_token, key_token, value)   V x V
//   "qk_position"       (layer, head, query_pos, key_pos, value)       key_pos <= query_pos
//   "qk_token_position" (layer, head, query_token, key_pos, value)
//   "qk_position_token" (layer, head, query_pos, key_token, value)
//   "ov_token"          (layer, head, source_token, logit_token, value)  V x V
//   "ov_position"       (layer, head, source_pos, logit_token, value)    (W_pos W_V W_O W_U)
// The positional tables exist only with a positional embedding.
// Summary, per head (head_label keys):
//   {"dataset": "weights only (no data)", "query_token": "ANS", "number_tokens": [..],
//    "query_pos": p (of a generated example; fixed for Max-of-List),
//    "heads": {"head0": {
//       "ov_copying": fraction of number tokens whose own logit is the largest of their OV row,
//       "ov_argmax": {"0": "0", "1": "1", ..} (number token -> its OV row's argmax token),
//       "qk_query_row": {"0": score, ..} (QK_token[query_token][number]),
//       "qk_spearman": rho of that row against the numbers' values,
//       "qk_monotone": "increasing"|"decreasing"|"none"|"constant",
//       "qk_position_query_row": {"0": QK_pos[query_pos][0], ..} (only with a positional embedding)}, ..}}
CircuitsResult circuits(const Model<float>& model, const Task& task);

}  // namespace hc
