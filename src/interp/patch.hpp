#pragma once
// One patch driver: axes x setter x metric. An axis is a list of points (a
// head, a head set, an s value, ...); for each point a setter adds hooks to a
// Hooks<float> for one chunk of examples; the driver runs a Full forward of
// every chunk with those hooks and scores the logits at each example's query
// position with a metric. Ablation, activation patching and attention edits
// are setters (ablation.hpp, edge_scaling.hpp, and patch_from_source below).
//
// Determinism: (point, chunk) jobs run in parallel, each chunk's metric is
// summed in example order and chunks are added in chunk order, so results are
// bit-identical at any thread count.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// One chunk of the data set as the forward pass sees it.
struct Chunk {
  const Dataset* data = nullptr;
  size_t begin = 0;                // examples [begin, begin + B)
  int B = 0;
  const int32_t* tokens = nullptr; // [B,T]
  const int32_t* rows = nullptr;   // [B,1]: each example's query position
  const Example& example(int b) const { return data->examples[begin + size_t(b)]; }
};

// Adds the hooks of axis point `point` for one chunk. Called concurrently from
// several threads: it must only read what it captured.
using Setter = std::function<void(int point, const Chunk& chunk, Hooks<float>& hooks)>;

enum class Metric {
  accuracy,  // 1 if the argmax at the query position is the answer (first index wins ties, as in eval)
  margin,    // logit of the answer minus the largest other logit (> 0 iff correct)
};

// Metric of one example's logits [V] against `answer`.
double metric_value(Metric m, const float* logits, int V, int answer);

struct PatchOptions {
  Metric metric = Metric::accuracy;
  // The answer each example is scored against [N]; empty: each example's own.
  // Activation patching scores the corrupted run against the clean answers.
  std::vector<int32_t> answers;
  int threads = 1;
  int chunk = 256;  // examples per forward call
};

// Mean metric over the data set for each of n_points axis points.
std::vector<double> patch_sweep(const Model<float>& model, const Dataset& data, int n_points, const Setter& setter,
                                const PatchOptions& opt);

// Logits at each example's query position [N,V] for one axis point (for
// tests and for per-example metrics).
std::vector<float> patch_logits(const Model<float>& model, const Dataset& data, const Setter& setter, int point,
                                int threads, int chunk = 256);

// The clean model's mean metric (no hooks).
double clean_metric(const Model<float>& model, const Dataset& data, const PatchOptions& opt);

// ---- patching from another input ----

// The buffer of one hook point captured from a Full forward of `source` run
// at the query rows of `target` (so row r of source example i sits at the same
// position as row r of target example i). Per example: numel / B values.
struct SourceActs {
  HookKey key;
  std::vector<int> shape;  // per example, e.g. z {Q,H,E}
  size_t per_example = 0;
  std::vector<float> values;  // [N, per_example]
};
SourceActs capture_source(const Model<float>& model, const Dataset& source, const Dataset& target, HookKey key,
                          int threads, int chunk = 256);

// Where to patch: one head (-1: all heads) at one input position (-1: every
// position). Sites with a head axis ([B,rows,H,X]: q, k, v, z, result) honour
// the head; [B,rows,D] sites (resid_pre, attn_out, resid_post, embed,
// pos_embed) need head == -1. Other sites are rejected with an error.
struct PatchSlot {
  int head = -1;
  int position = -1;
};

// Setter: point i copies slots[i] of the source activations into the run.
// With source = a derangement of the data this is resample ablation; with
// source = clean inputs and data = corrupted inputs it is activation patching.
Setter patch_from_source(std::shared_ptr<const SourceActs> src, std::vector<PatchSlot> slots);

// Activation patching clean -> corrupted at one hook point with a head axis
// (e.g. z of layer 0): the metric, scored against the clean answers, for each
// (head, position) with the clean value patched into the corrupted run.
// clean and corrupted are paired example by example and must have the same
// size and the same query positions. Table "patching_<site>": head, position,
// metric; plus rows with head "none" (corrupted baseline) and "clean".
Table activation_patching(const Model<float>& model, const Dataset& clean, const Dataset& corrupted, HookKey key,
                          const PatchOptions& opt);

}  // namespace hc
