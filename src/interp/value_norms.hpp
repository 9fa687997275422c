#pragma once
// Value norms (ANALYSES.md part B): per head and token t, how much a head
// writes when it attends fully to t, ignoring position:
// |W_E[t] W_V[h]| (in the head's value space) and |W_E[t] W_V[h] W_O[h]|
// (in the residual stream). A max-finding head should write larger numbers
// more loudly, so the summary asks whether the norms are monotone in the
// number's value. Weights only: no data set.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct ValueNormsResult {
  nlohmann::json summary;
  std::vector<Table> tables;
};

// The task's content tokens, ordered by the value they stand for: the numbers
// 0..R-1 for Max-of-List, the symbols 0, 1, 2 for Count01; for any other task,
// every token whose name is an integer. Shared by value_norms and circuits.
std::vector<int> number_tokens(const Task& task);

// Spearman rank correlation of y against x (average ranks for ties); 0 when
// either side is constant or there are fewer than 2 points.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// "increasing", "decreasing" or "none": whether y is monotone (non-strictly)
// in the order given; "constant" if all equal.
std::string monotone_direction(const std::vector<double>& y);

// Summary, per head ("head0".. for one layer, "L0H0".. otherwise; see head_label):
//   {"dataset": "weights only (no data)", "tokens": [names of number_tokens],
//    "heads": {"head0": {"v_norm": {"monotone": "increasing"|"decreasing"|"none"|"constant",
//                                   "spearman": rho},
//                        "ov_norm": {...same...}}, ..}}
// Tables: "value_norms" (layer, head, token_id, token, value_norm, ov_norm) for
// every token of the vocabulary; every layer is read through W_E (the direct
// path), which is exact for layer 0 only.
ValueNormsResult value_norms(const Model<float>& model, const Task& task);

// "head3" for a one-layer model, "L1H3" (TransformerLens style) otherwise.
// Every analysis of this family labels heads with it.
std::string head_label(const ModelConfig& cfg, int layer, int head);

}  // namespace hc
