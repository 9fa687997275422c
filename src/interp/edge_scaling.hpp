#pragma once
// Attention-edge scaling (ANALYSES.md part B): for a head, scale the edge from
// the query position to a set of key positions (Max-of-List: the positions
// holding the maximum; Count01: the `0` and `1` tokens) by s in [0, 1] and see
// how accuracy falls. Two modes:
//  - score:  the pre-softmax score of those keys is multiplied by s (masked
//            -inf entries stay -inf). s = 0 gives those keys score 0, i.e. the
//            weight a key with a neutral score would get, not weight 0.
//  - weight: the post-softmax weight of those keys is multiplied by s and the
//            row renormalised to sum 1. A row whose whole mass was on the
//            target keys and s = 0 is left all zero (the head writes nothing).
// Only the query row of the edited layer is touched; other rows keep their
// attention. The recovery threshold of a head is the smallest s on the grid
// from which on (every grid s' >= s) accuracy is at least the full model's.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/patch.hpp"
#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

enum class EdgeMode { score, weight };
std::string edge_mode_name(EdgeMode m);  // "score", "weight"

// Which key positions of an example the edited edges go to.
struct EdgeTarget {
  std::string description;  // e.g. "positions holding the maximum"
  std::function<bool(const Example&, int key_pos)> keys;
};

// Key positions before the query holding the example's answer token: for
// Max-of-List, the positions of the maximum.
EdgeTarget answer_positions_target();
// Key positions before the query holding one of `tokens` (e.g. Count01's 0 and 1).
EdgeTarget token_class_target(const Task& task, const std::vector<int>& tokens);
// The task's own key target (Task::key_target), with its description.
EdgeTarget default_edge_target(const Task& task);

struct EdgePoint {
  uint64_t heads;  // flat head indices (layer * H + head) whose edges are scaled
  double s;
};

// Setter: point i scales the edges of points[i].heads by points[i].s.
Setter edge_scaling_setter(const Model<float>& model, EdgeTarget target, EdgeMode mode,
                           std::vector<EdgePoint> points);

struct EdgeScalingOptions {
  std::vector<double> grid = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  std::vector<EdgeMode> modes = {EdgeMode::score, EdgeMode::weight};
  std::vector<int> pair_heads;  // pairs among these flat heads; empty: every pair
  bool force_hooked = false;    // skip the one-layer shortcut
  int threads = 1;
};

struct EdgeScalingResult {
  nlohmann::json summary;
  std::vector<Table> tables;
};

// Summary: {"target": .., "grid": [..], "full_accuracy": a, "method": "linear"|"hooked",
//   "score": {"recovery": {"0": s | null, ..}, "pair_recovery": {"0,1": s, ..},
//             "accuracy": {"0": [acc at each grid s], ..}, "pair_accuracy": {..}},
//   "weight": {same}}
// Tables: edge_scaling_<mode> (heads, s, accuracy), edge_scaling_<mode>_recovery
// (heads, recovery_s, accuracy_at_0).
// One-layer models use a shortcut: only the edited heads' z at the query
// changes, so logits = forward logits + sum_h (z'_h - z_h) W_O[h] W_U with z'_h
// recomputed from the cached scores and values; a test checks it against the
// hooked forward.
EdgeScalingResult edge_scaling(const Model<float>& model, const Dataset& data,
                               const EdgeTarget& target, const EdgeScalingOptions& opt);

// Hooked forward passes over the evaluation set that edge_scaling() makes on a
// model of this shape: (heads + pairs) x grid x modes; 0 where the one-layer
// shortcut applies (which makes one forward pass).
size_t edge_scaling_hooked_passes(const ModelConfig& c, const EdgeScalingOptions& opt);

}  // namespace hc
