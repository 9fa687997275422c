#pragma once
// Invariance (ANALYSES.md part B): a family is a set of inputs with the same
// answer (e.g. the maximum moved through every list position). For each hook
// point read at the query position, the cosine similarity between family
// members says whether the model has already "forgotten" what differs between
// them (cosine ~ 1) or not. The summary names the first point where the family
// diverges (mean cosine < threshold) and the first later point where it
// re-converges (mean cosine >= threshold again).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct InvarianceResult {
  nlohmann::json summary;
  std::vector<Table> tables;
};

// Families with one answer each, generated from `seed`:
//  - Max-of-List: a base list with a unique maximum m (m uniform in 1..R-1,
//    the other k-1 numbers uniform below m); the family is the k lists with m
//    moved to position 0..k-1 and the other numbers kept in their order.
//  - Count01: a base string (no tie, length >= 2); the family is up to 6
//    distinct shuffles of it (the base included): the same multiset of 0s, 1s
//    and 2s, so the same answer, at the same `=` position.
// Any other task: hc::Error (give families with load_families).
std::vector<std::vector<Example>> default_families(const Task& task, int n_families, uint64_t seed);

// Reads families in the text form: one example per line, blank lines separate
// families. Errors (hc::Error, naming the file): a malformed line (with its
// line number, from task.parse), a family of fewer than 2 examples, a family
// whose answers differ (family number, its lines and the answers), no family.
std::vector<std::vector<Example>> load_families(const Task& task, const std::string& path);

// Cosine similarity at every hook point at the query position (position < 0:
// each example's query_pos; else that absolute position for every example).
// Compared per point: hook_embed, hook_pos_embed, and per layer resid_pre,
// q/k/v (per head, the row at the query position), attn_scores and pattern
// (per head: the query row over all key positions, masked entries as 0),
// z and result (per head), attn_out, resid_post; then logits. One extra
// derived point per layer and head, "pattern_sorted" (the query row sorted in
// decreasing order), asks whether the attention's shape survives when its
// location moves; it is reported but is not part of diverge/re-converge.
// Cosine of two zero vectors is 1, of a zero and a non-zero vector 0.
//
// Summary:
//   {"threshold": 0.99, "dataset": "<source> (F families, N inputs)", "n_families": F, "n_inputs": N, "n_pairs": P,
//    "diverges_at": "blocks.0.attn.hook_attn_scores" | null,
//    "diverged_heads": ["head0", ..] (per-head point: heads below threshold),
//    "reconverges_at": "blocks.0.hook_resid_post" | null,
//    "text": "diverges at X (head0, head2), re-converges at Y",
//    "points": {"hook_embed": {"mean": .., "min": ..},
//               "blocks.0.attn.hook_z": {"mean": .., "min": .., "heads": {"head0": {"mean","min"}, ..}}, ..},
//    "heads": {"head0": {"diverges_at": .., "reconverges_at": ..}, ..}}
// A per-head point's "mean" is the smallest of its heads' means (a point
// diverges as soon as one head does) and its "min" the smallest pairwise
// cosine over all heads. The derived point is named
// "blocks.L.attn.hook_pattern_sorted". "heads" gives each head's own path: the
// shared points plus that head's per-head points. Tables: "invariance" (point,
// layer (-1 for embed, pos_embed, logits), head ("" when not per head),
// mean_cosine, min_cosine, n_pairs), in forward order.
// Throws hc::Error on an empty family list, a family of < 2 inputs, or a
// position outside the model's context.
InvarianceResult invariance(const Model<float>& model, const Task& task,
                            const std::vector<std::vector<Example>>& families,
                            const std::string& source = "families", double threshold = 0.99, int position = -1);

}  // namespace hc
