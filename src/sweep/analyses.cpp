#include "sweep/analyses.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "interp/cache.hpp"
#include "interp/head_metrics.hpp"
#include "model/hooks.hpp"
#include "tasks/task.hpp"

namespace hc {

namespace {

constexpr int kHeadMetricsSplit = 2000;  // examples in each of the train and test splits

// Held-out accuracy at the query position with head `head` zero-ablated
// (its z set to 0; -1: no ablation).
double accuracy_without_head(const Model<float>& model, const Task& task, const Dataset& ds, int head) {
  const ModelConfig& c = model.config();
  const int V = c.d_vocab, L = c.n_layers;
  Hooks<float> hooks;
  if (head >= 0)
    for (int l = 0; l < L; ++l)
      hooks.add({Site::z, l}, [&](HookView<float>& v) {  // z [B,Q,H,E]
        const int H = v.shape[2], E = v.shape[3];
        for (int64_t n = 0; n < int64_t(v.shape[0]) * v.shape[1]; ++n)
          std::fill_n(v.data + (n * H + head) * E, E, 0.f);
      });
  const Activations<float> a = run_at_queries(model, ds, 0, ds.examples.size(), &hooks);
  int ok = 0;
  for (size_t i = 0; i < ds.examples.size(); ++i) {
    const float* z = a.logits.data() + i * V;
    ok += int(std::max_element(z, z + V) - z) == ds.examples[i].answer;
  }
  return double(ok) / double(ds.examples.size());
}

void add_head_metrics(AnalysisOutput& out, const Model<float>& model, const Task& task, const TrainConfig& cfg) {
  if (task.name() != "count01" || model.config().n_layers != 1)
    throw Error("analysis \"head_metrics\" needs a one-layer Count01 model; this run is " + task.name() + " with " +
                std::to_string(model.config().n_layers) + " layer(s)");
  const Dataset train = generate(task, Split::Train, kHeadMetricsSplit, cfg.seed, 2);
  const Dataset test = generate(task, Split::Test, kHeadMetricsSplit, cfg.seed, 1);
  const HeadMetricsResult r = head_metrics(model, task, train, test);
  for (const HeadMetric& m : r.heads) {
    out.heads.push_back({m.head, "s_acc", m.s_acc});
    out.heads.push_back({m.head, "l_acc", m.l_acc});
    out.heads.push_back({m.head, "auc", m.auc});
    out.heads.push_back({m.head, "w01", m.w01});  // NaN (NULL in SQLite) if no string had both a 0 and a 1
    out.heads.push_back({m.head, "w02", m.w02});
    out.heads.push_back({m.head, "success", m.success ? 1.0 : 0.0});
  }
  out.metrics["weighted_s_acc"] = r.weighted_s_acc;
}

}  // namespace

AnalysisOutput run_analyses(const std::vector<std::string>& analyses, const Model<float>& model,
                            const TrainConfig& cfg) {
  AnalysisOutput out;
  for (const auto& name : analyses) {
    auto task = make_task(cfg.task);
    if (name == "ablation") {
      const Dataset ds = generate(*task, Split::Test, std::min(cfg.eval_size, 2000), cfg.seed, 1);
      for (int h = 0; h < model.config().n_heads; ++h)
        out.heads.push_back({h, "zero_ablation_accuracy", accuracy_without_head(model, *task, ds, h)});
    } else if (name == "head_metrics") {
      add_head_metrics(out, model, *task, cfg);
    } else {
      throw Error("unknown analysis '" + name + "'");
    }
  }
  return out;
}

}  // namespace hc
