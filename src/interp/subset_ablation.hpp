#pragma once
// Exhaustive subset ablation over all heads of all layers: for every one of
// the 2^(L*H) sets of heads, the accuracy at the query position (overall and
// per answer class) with those heads' z replaced by zero, their mean or a
// resampled value (ablation.hpp's AblationRefs: the same replacements as the
// hooked ablation_setter, which is this file's test oracle).
//
// Two layers take a fast exact path: layer 0 does not depend on anything
// ablated, so its per-head results (kept and ablated) are computed once, and
// layer 1's keys, values and query are sums of their projections (linear in
// the residual); only layer 1's attention at the query row is recomputed for
// each set of layer-0 heads, and its heads' logit contributions are added per
// set of layer-1 heads. Other depths run one hooked forward per set.
//
// Sets are bit masks over the flat head numbering (layer * H + head); bit
// set = head ablated.
#include <cstdint>
#include <string>
#include <vector>

#include "interp/ablation.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct SubsetAblation {
  AblationMode mode = AblationMode::zero;
  int L = 0, H = 0;
  size_t n = 0;
  std::string method;                  // "two_layer_fast" or "hooked"
  std::vector<int64_t> correct;        // [2^(L*H)] examples right with that set ablated
  std::vector<int> classes;            // answer tokens present, ascending
  std::vector<int64_t> class_n;        // [C] examples per class
  std::vector<int64_t> class_correct;  // [2^(L*H), C]
  double accuracy(uint64_t mask) const { return double(correct[mask]) / double(n); }
  double class_accuracy(uint64_t mask, size_t c) const {
    return class_n[c] ? double(class_correct[mask * classes.size() + c]) / double(class_n[c]) : 0.0;
  }
};

// Every subset. reference: the set the mean is taken over (null: data).
// Throws hc::Error when L*H > 16 (2^(L*H) sets).
SubsetAblation subset_ablation(const Model<float>& model, const Dataset& data, AblationMode mode, int threads,
                               const Dataset* reference = nullptr, bool force_hooked = false);

// What the sets say: kept sets (complements of ablated masks) whose accuracy
// reaches `fraction` of the full model's, the minimal ones among them (no
// proper subset also reaches it), and the necessary heads (ablating one
// alone drops below it).
struct SubsetFindings {
  double threshold = 0;
  std::vector<uint64_t> minimal_sufficient;  // kept sets, by size then mask
  std::vector<int> necessary;                // flat head indices
};
SubsetFindings subset_findings(const SubsetAblation& s, double fraction = 0.99);

}  // namespace hc
