#pragma once
// Path patching (Wang et al., "Interpretability in the Wild"; Goldowsky-Dill
// et al.): the effect of a sender head on the output through one input of one
// receiver head only. The clean inputs run as they are, except that the
// receiver's query, key or value input sees the sender's output from the
// corrupted run: for every position t,
//   x_receiver(t) = resid_pre_clean(t) + result_sender_corrupted(t) - result_sender_clean(t)
// and only the chosen one of q, k, v of that one head is recomputed from it.
// Everything else (other heads, the sender's direct path, the other inputs of
// the receiver) stays at its clean value.
//
// The metric is activation patching's (act_patching.hpp); `effect` maps the
// clean run to 0 and the corrupted run to 1: (clean - m) / (clean - corrupted).
#include <vector>

#include "interp/act_patching.hpp"
#include "interp/composition.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// Logits [N,V] at each clean example's query position with the one path
// patched. Throws hc::Error for a layer or head out of range, or a receiver
// not in a later layer than the sender.
std::vector<float> path_patch_logits(const Model<float>& model, const Dataset& clean, const Dataset& corrupted,
                                     int sender_layer, int sender_head, int receiver_layer, int receiver_head,
                                     CompositionKind input, int threads);

struct PathPatchingResult {
  int L = 0, H = 0;
  PatchMetric metric = PatchMetric::logit_diff;
  double clean = 0, corrupted = 0;  // raw metric means, unpatched
  size_t pairs = 0;
  // [sender L*H][receiver L*H][q,k,v] raw metric; NaN unless the receiver's
  // layer is after the sender's.
  std::vector<double> values;
  double at(int sender, int receiver, CompositionKind k) const {
    return values[(size_t(sender) * L * H + size_t(receiver)) * 3 + size_t(k)];
  }
  double effect(double m) const { return (clean - m) / (clean - corrupted); }
};

// Every (sender, receiver, input) with the receiver in a later layer. Throws
// hc::Error for a one-layer model.
PathPatchingResult path_patching(const Model<float>& model, const Dataset& clean, const Dataset& corrupted,
                                 PatchMetric metric, int threads);

}  // namespace hc
