#pragma once
// Activation patching between clean and corrupted inputs (TransformerLens's
// patching module): run the corrupted inputs with some activations taken from
// the clean run and score how much of the clean behaviour comes back.
//
// Metric per example (at its query position), against the clean answer c and
// the corrupted answer x:
//   logit_diff: logit[c] - logit[x]
//   accuracy:   1 if the argmax is c
// Means over the pairs; `normalised` maps the corrupted run to 0 and the
// clean run to 1: (m - corrupted) / (clean - corrupted).
//
// Patches (all taken from the clean run of the paired example):
//   resid:    blocks.l.hook_resid_pre at one position, l = 0..L-1, and the
//             final residual (blocks.{L-1}.hook_resid_post) at the query
//   head:     blocks.l.attn.hook_z of one head at every position
//   head_pos: blocks.l.attn.hook_z of one head at one position
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "interp/patch.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

enum class PatchMetric { logit_diff, accuracy };
const char* patch_metric_name(PatchMetric m);  // "logit_diff", "accuracy"

// One intervention: a hook point and the slot (head, position) of it that
// takes the clean value.
struct PatchPart {
  HookKey key;
  PatchSlot slot;
};

// Clean and corrupted inputs, paired example by example, with the clean
// activations captured on demand. Throws hc::Error when the sets differ in
// size, or a pair differs in length or query position.
class ActPatcher {
 public:
  ActPatcher(const Model<float>& model, const Dataset& clean, const Dataset& corrupted, PatchMetric metric,
             int threads);
  // Logits at each query position [N,V] of the corrupted run with the parts patched in.
  std::vector<float> logits(const std::vector<PatchPart>& parts);
  double metric(const std::vector<float>& logits) const;  // mean over the pairs
  double clean_value() const { return clean_; }
  double corrupted_value() const { return corrupted_; }
  double normalised(double m) const;  // NaN when clean == corrupted
  const Model<float>& model() const { return model_; }
  size_t size() const { return clean_answers_.size(); }

 private:
  const Model<float>& model_;
  const Dataset& clean_set_;
  const Dataset& corrupted_set_;
  PatchMetric metric_;
  int threads_;
  std::vector<int32_t> clean_answers_, corrupted_answers_;
  std::map<std::pair<int, int>, std::shared_ptr<const SourceActs>> sources_;  // (site, layer) -> clean acts
  double clean_ = 0, corrupted_ = 0;
};

// Throws hc::Error when a pair cannot be patched position by position.
void check_pairs(const Dataset& clean, const Dataset& corrupted);

struct ActPatchingResult {
  int L = 0, H = 0, T = 0;
  PatchMetric metric = PatchMetric::logit_diff;
  double clean = 0, corrupted = 0;  // raw metric means
  size_t pairs = 0;
  std::vector<double> resid;     // [L, T] raw metric
  double final_resid = 0;        // the final residual at the query (equals clean)
  std::vector<double> head;      // [L*H] raw metric
  std::vector<double> head_pos;  // [L*H, T] raw metric
  double normalised(double m) const { return (m - corrupted) / (clean - corrupted); }
};

ActPatchingResult activation_patching_all(const Model<float>& model, const Dataset& clean,
                                          const Dataset& corrupted, PatchMetric metric, int threads);

}  // namespace hc
