#pragma once
// Attention-to-target statistics (ANALYSES.md part B), per head, read from the
// attention pattern of the query row (ANS or `=`) of every layer:
//  - top_is_target: the rate at which the most-attended content key (a number
//    token, not BOS/SEP/ANS/`=`; first key wins ties) is a target key;
//  - mass_target: mean attention on the target keys;
//  - mass on each key class.
// The target keys are the edge-scaling target (edge_scaling.hpp), so the two
// analyses talk about the same edges. Classes:
//  - Max-of-List: target = positions holding the maximum; classes "max",
//    "other_numbers", "special" (BOS, SEP, ANS).
//  - Count01: target = the `0` and `1` tokens; classes "0", "1", "2" (noise)
//    and "=" (the query token itself); nothing after `=` is visible.
//  - Other tasks: "target", "other_numbers", "special".
// Examples without any content key before the query do not count towards
// top_is_target (its denominator is reported).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/edge_scaling.hpp"
#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct AttentionStatsResult {
  nlohmann::json summary;
  std::vector<Table> tables;
};

// Summary: {"target": .., "classes": [..], "n_examples": N,
//   "heads": {"0": {"top_is_target": r, "mass_target": m, "mass": {"max": .., ..}}, ..}}
// Table "attention_stats": head, top_is_target, n_top, mass_target, mass_<class>...
AttentionStatsResult attention_stats(const Model<float>& model, const Task& task, const Dataset& data,
                                     const EdgeTarget& target, int threads);

}  // namespace hc
