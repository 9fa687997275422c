#include "interp/act_patching.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace hc {

const char* patch_metric_name(PatchMetric m) { return m == PatchMetric::logit_diff ? "logit_diff" : "accuracy"; }

void check_pairs(const Dataset& clean, const Dataset& corrupted) {
  if (clean.examples.empty())
    throw Error("the clean inputs '" + clean.source + "' hold no examples: give a non-empty evaluation set");
  if (clean.examples.size() != corrupted.examples.size())
    throw Error("patching pairs clean and corrupted inputs one to one, but '" + clean.source + "' has " +
                std::to_string(clean.examples.size()) + " examples and '" + corrupted.source + "' has " +
                std::to_string(corrupted.examples.size()) + ": give as many corrupted inputs as clean ones");
  for (size_t i = 0; i < clean.examples.size(); ++i) {
    const Example& a = clean.examples[i];
    const Example& b = corrupted.examples[i];
    if (a.query_pos != b.query_pos)
      throw Error("pair " + std::to_string(i + 1) + ": the clean input has " + std::to_string(a.query_pos) +
                  " tokens before its query and the corrupted input " + std::to_string(b.query_pos) +
                  "; patching copies activations position by position, so pair inputs of the same length");
  }
}

ActPatcher::ActPatcher(const Model<float>& model, const Dataset& clean, const Dataset& corrupted,
                       PatchMetric metric, int threads)
    : model_(model), clean_set_(clean), corrupted_set_(corrupted), metric_(metric), threads_(threads) {
  check_pairs(clean, corrupted);
  for (size_t i = 0; i < clean.examples.size(); ++i) {
    clean_answers_.push_back(clean.examples[i].answer);
    corrupted_answers_.push_back(corrupted.examples[i].answer);
  }
  clean_ = this->metric(patch_logits(model, clean, Setter{}, 0, threads));
  corrupted_ = this->metric(logits({}));
}

double ActPatcher::metric(const std::vector<float>& logits) const {
  const int V = model_.config().d_vocab;
  double sum = 0;
  for (size_t i = 0; i < clean_answers_.size(); ++i) {
    const float* z = logits.data() + i * size_t(V);
    if (metric_ == PatchMetric::accuracy) sum += int(std::max_element(z, z + V) - z) == clean_answers_[i];
    else sum += double(z[clean_answers_[i]]) - double(z[corrupted_answers_[i]]);
  }
  return sum / double(clean_answers_.size());
}

double ActPatcher::normalised(double m) const {
  if (clean_ == corrupted_) return std::numeric_limits<double>::quiet_NaN();
  return (m - corrupted_) / (clean_ - corrupted_);
}

std::vector<float> ActPatcher::logits(const std::vector<PatchPart>& parts) {
  const ModelConfig& c = model_.config();
  std::vector<Setter> setters;
  for (const PatchPart& p : parts) {
    if (p.key.layer >= c.n_layers)
      throw Error("layer " + std::to_string(p.key.layer) + " is out of range: this model has " +
                  std::to_string(c.n_layers) + " layer(s), numbered from 0");
    if (p.slot.head >= c.n_heads)
      throw Error("head " + std::to_string(p.slot.head) + " is out of range: this model has " +
                  std::to_string(c.n_heads) + " heads per layer, numbered from 0");
    if (p.slot.position >= c.n_ctx)
      throw Error("position " + std::to_string(p.slot.position) + " is out of range: the model reads " +
                  std::to_string(c.n_ctx) + " positions, numbered from 0");
    auto& src = sources_[{int(p.key.site), p.key.layer}];
    if (!src)
      src = std::make_shared<const SourceActs>(capture_source(model_, clean_set_, corrupted_set_, p.key, threads_));
    setters.push_back(patch_from_source(src, {p.slot}));
  }
  const Setter all = [setters](int, const Chunk& ch, Hooks<float>& hooks) {
    for (const auto& s : setters) s(0, ch, hooks);
  };
  return patch_logits(model_, corrupted_set_, parts.empty() ? Setter{} : all, 0, threads_);
}

ActPatchingResult activation_patching_all(const Model<float>& model, const Dataset& clean,
                                          const Dataset& corrupted, PatchMetric metric, int threads) {
  const ModelConfig& c = model.config();
  ActPatcher p(model, clean, corrupted, metric, threads);
  ActPatchingResult r;
  r.L = c.n_layers;
  r.H = c.n_heads;
  r.T = c.n_ctx;
  r.metric = metric;
  r.clean = p.clean_value();
  r.corrupted = p.corrupted_value();
  r.pairs = p.size();
  for (int l = 0; l < r.L; ++l)
    for (int t = 0; t < r.T; ++t) r.resid.push_back(p.metric(p.logits({{{Site::resid_pre, l}, {-1, t}}})));
  // The final residual exists only at the query rows: patch it there.
  r.final_resid = p.metric(p.logits({{{Site::resid_post, r.L - 1}, {-1, -1}}}));
  for (int l = 0; l < r.L; ++l)
    for (int h = 0; h < r.H; ++h) {
      r.head.push_back(p.metric(p.logits({{{Site::z, l}, {h, -1}}})));
      for (int t = 0; t < r.T; ++t) r.head_pos.push_back(p.metric(p.logits({{{Site::z, l}, {h, t}}})));
    }
  return r;
}

}  // namespace hc
