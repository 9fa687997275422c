#include "sweep/analyses.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "interp/cache.hpp"
#include "interp/analysis.hpp"
#include "model/hooks.hpp"
#include "tasks/task.hpp"

namespace hc {

namespace {

constexpr int kSweepSplit = 2000;  // examples in each of the held-out and train sets an analysis reads

}  // namespace

AnalysisOutput run_analyses(const std::vector<std::string>& names, const Model<float>& model, const TrainConfig& cfg) {
  AnalysisOutput out;
  if (names.empty()) return out;
  auto task = make_task(cfg.task);
  // The same sets for every analysis: a prefix of one stream is the smaller
  // set drawn from it, so single-head ablation reads its min(eval-size, 2000).
  const Dataset test = generate(*task, Split::Test, kSweepSplit, cfg.seed, 1);
  const Dataset train = generate(*task, Split::Train, kSweepSplit, cfg.seed, 2);
  AnalysisOptions ao;
  ao.for_sweep = true;
  ao.sweep_examples = size_t(std::min(cfg.eval_size, kSweepSplit));
  ao.seed = cfg.seed;
  ao.train = &train;
  const AnalysisContext ctx{model, *task, test, ao};
  for (const auto& name : names) {
    const Analysis& a = find_analysis(name, "analyses");
    const std::string why = a.not_applicable(model.config(), *task);
    if (!why.empty()) throw Error("analysis \"" + name + "\" " + why);
    const auto r = a.run(ctx);
    for (const HeadValue& h : r->head_values()) out.heads.push_back({h.head, h.metric, h.value});
    const nlohmann::json run_values = r->run_values();
    for (const auto& [k, v] : run_values.items()) out.metrics[k] = v;
  }
  return out;
}

}  // namespace hc
