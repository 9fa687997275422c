#pragma once
// Subset ablation by linearity in the last layer. At the query position the
// logits of a one-layer model are
//   (embed + pos) W_U + sum_h r_h W_U + b_O W_U + b_U,   r_h = z_h W_O[h],
// so ablating head h (z_h -> replacement) only swaps its term r_h W_U [V] for
// the replacement's. Precompute, per example, the full logits and each head's
// delta (replacement term - own term) once; then any set of ablated heads is
// "full + sum of its deltas", and all 2^H sets are a Gray-code walk that adds
// or subtracts one delta per step. A test proves this equals the hooked
// forward for every subset of a 4-head model.
//
// A deeper, attention-only model is linear in its *last* layer the same way,
// with resid_pre of the last layer in place of embed + pos: for a fixed set of
// ablated heads in the earlier layers (one hooked forward), every set of
// last-layer heads is again "full + sum of deltas". So all 2^(L*H) sets cost
// 2^((L-1)*H) forwards instead of 2^(L*H) (16 instead of 256 for two layers
// of 4 heads); a test proves it equals the hooked forward on a 2-layer model.
#include <cstdint>
#include <vector>

#include "interp/ablation.hpp"

namespace hc {

struct LinearContribs {
  int N = 0, H = 0, V = 0;
  std::vector<double> full;      // [N,V] base + every head's term (double, summed in head order)
  std::vector<double> delta;     // [N,H,V] replacement term - own term
  std::vector<int32_t> answers;  // [N]
};

// The contributions of the last layer's heads, with the heads of earlier
// layers in `earlier_ablated` (flat numbering; 0 for a one-layer model)
// ablated by the hooked forward. H is the last layer's head count.
LinearContribs linear_contribs(const Model<float>& model, const Dataset& data, const AblationRefs& refs, int threads,
                               uint64_t earlier_ablated = 0);

// Logits [N,V] at the query position with the heads in `ablated` ablated.
std::vector<double> linear_logits(const LinearContribs& c, uint64_t ablated);
// Accuracy with the heads in `ablated` ablated (argmax, first index wins ties).
double linear_accuracy(const LinearContribs& c, uint64_t ablated);

// Accuracy for every set of ablated heads, indexed by its mask [2^H]. Walks
// the sets in Gray-code order per example with double accumulators, re-summed
// exactly every 4,096 steps so that rounding cannot drift; examples are split
// over threads and the integer counts added, so the result does not depend on
// the thread count. Requires H <= 24.
std::vector<double> all_subsets_accuracy(const LinearContribs& c, int threads);

}  // namespace hc
