#pragma once
// Head ablation (ANALYSES.md part B): replace a head's z at every position by
// zero, by its mean over a reference set, or by its value on another input
// (resample), and measure accuracy at the query position. The setters plug
// into the patch driver; the study (single heads, pairs, "only h kept", every
// subset for H <= 16, minimal sufficient sets, functional groups) uses the
// linear shortcut of ablation_linear.hpp: exact for one-layer models, and for
// deeper ones linear in the last layer with one hooked forward per set of
// ablated earlier-layer heads.
//
// Heads are numbered flat, layer * H + head, and sets of heads are bit masks
// over that numbering (so at most 64 heads).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/patch.hpp"
#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

enum class AblationMode { zero, mean, resample };
std::string mode_name(AblationMode m);  // "zero", "mean", "resample"

// What mean and resample ablation write in place of z.
struct AblationRefs {
  AblationMode mode = AblationMode::zero;
  int L = 0, T = 0, H = 0, E = 0;
  // mean: the reference set's mean z, per layer. At an example's query
  // position the replacement is the mean over examples at *their* query
  // position (query_mean [L][H,E]); elsewhere the mean at that position
  // (pos_mean [L][T,H,E]). For Max-of-List the two coincide at ANS; for
  // Count01, whose `=` moves, it keeps "the head's average output at `=`".
  std::vector<std::vector<double>> query_mean, pos_mean;
  // resample: z of each layer captured from the source inputs (example i of
  // the ablated set takes z from source example i), one per layer.
  std::vector<std::shared_ptr<const SourceActs>> source;
  size_t n_target = 0;  // size of the data set the resample source is paired with
};

// zero: nothing to compute. mean: averages over `reference`. resample: the
// source of example i is the next example (cyclically) among those of `data`
// with the same query position, so every example takes z from a different
// input of the same shape (an example alone with its query position keeps its
// own z); deterministic, no RNG.
AblationRefs ablation_refs(const Model<float>& model, AblationMode mode, const Dataset& data,
                           const Dataset& reference, int threads);

// The replacement value of z for one (layer, example row): E floats for head h.
// Used by the hooked setter and by the linear shortcut, so both ablate alike.
const double* mean_replacement(const AblationRefs& refs, int layer, int head, int position, bool at_query);

// Setter: point i ablates the heads in masks[i] (flat numbering).
Setter ablation_setter(const Model<float>& model, std::shared_ptr<const AblationRefs> refs,
                       std::vector<uint64_t> masks);

struct AblationOptions {
  std::vector<AblationMode> modes = {AblationMode::zero, AblationMode::mean};
  // A head set "suffices" when keeping only it gives accuracy >= this
  // fraction of the full model's accuracy. 0.99: lenient enough that argmax
  // ties and a handful of hard examples do not hide a working set, strict
  // enough that a set losing 1% of the examples is not called sufficient.
  double sufficient_fraction = 0.99;
  // Every subset only for L*H <= this (2^(L*H) sets), and, for more than one
  // layer, (L-1)*H <= 10 (one forward per set of earlier heads).
  int max_subset_heads = 16;
  bool force_hooked = false;  // the hooked forward for every set (tests compare the shortcut with it)
  int threads = 1;
};

struct AblationResult {
  nlohmann::json summary;
  std::vector<Table> tables;
};

// Summary:
//  {"method": "linear" | "linear_last_layer" | "hooked", "full_accuracy": a, "threshold": t,
//   "zero": {"single": {"0": acc, ..}, "pairs": {"0,1": acc, ..},
//            "only": {"0": acc, ..}, "only_pairs": {"0,1": acc, ..},
//            "subsets_evaluated": 2^H | 0,
//            "minimal_sufficient": [["1","3"], ..], "minimal_size": k | null,
//            "groups": [["0","2"],["1","3"]] | "none"},
//   "mean": {same}}
// Tables per mode m: ablation_m_single, ablation_m_pairs, ablation_m_only,
// ablation_m_only_pairs, ablation_m_subsets (H <= max_subset_heads),
// ablation_m_minimal_sets.
AblationResult ablation_study(const Model<float>& model, const Dataset& data, const AblationOptions& opt);

// Head labels: "3" for one layer, "L1H3" otherwise; sets join them with ",".
std::string head_key(const ModelConfig& c, int flat);
std::string set_key(const ModelConfig& c, uint64_t mask);

// Functional groups from kept-only pair sufficiency [H][H]: the partition in
// which every cross-group pair suffices and no within-group pair does, if one
// exists with at least two groups; empty otherwise. Groups are lists of flat
// head indices, in increasing order.
std::vector<std::vector<int>> functional_groups(const std::vector<std::vector<bool>>& pair_suffices);

}  // namespace hc
