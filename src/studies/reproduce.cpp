// `headcount reproduce`: the training step, the claims, the part B head
// studies and the renderer, in that order (reproduce_internal.hpp).
#include "studies/reproduce.hpp"

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "studies/reproduce_conditions.hpp"
#include "studies/reproduce_internal.hpp"

namespace hc {

ReproducePlan ReproducePlan::quick() { return ReproducePlan{}; }

ReproducePlan ReproducePlan::full() {
  ReproducePlan p;
  p.main_seeds = 30;
  p.isolated_seeds = 30;
  p.grid_seeds = 10;
  p.count01_steps = 3000;  // default_train_config("count01")
  p.snapshots = {10, 20, 40, 80, 160, 500};
  p.probe_train = p.probe_test = 4000;
  p.intervention_models = 8;
  p.mol_target = 0;  // the whole 20,000-step puzzle 1a recipe
  p.bootstrap = 5000;
  p.quality_models = 48;
  p.conditions_seeds = 8;
  p.conditions_full = true;
  return p;
}

ReproduceResult run_reproduce(const ReproduceOptions& opt, const ReproducePlan& plan) {
  using namespace repro;
  using json = nlohmann::json;
  if (opt.jobs < 1 || opt.jobs > 1024) throw Error("--jobs must be in [1, 1024] (got " + std::to_string(opt.jobs) + ")");
  ensure_writable_dir(opt.out);
  Stages stages(opt.progress);
  ReproduceResult res;

  // Part A: train the Count01 models, then judge each claim on them.
  const Count01Study study = train_count01_models(opt, plan, stages);
  res.summary["count01_main_accuracy"] = main_accuracy(study);
  const ClaimContext ctx{opt, plan, study, stages};
  std::vector<ClaimRow> rows;
  for (const auto& claim : paper_claims()) {
    claim->evaluate(ctx);
    if (!claim->has_evidence()) continue;
    rows.push_back(claim->row());
    res.summary[claim->summary_key] = claim->summary();
    for (auto& t : claim->tables()) res.tables.push_back(std::move(t));
  }
  for (auto& t : checkpoint_tables(study)) res.tables.push_back(std::move(t));
  const ConditionsMap conditions = conditions_map(plan, study);
  if (!conditions.cells.empty()) {
    res.summary["conditions"] = conditions.summary();
    res.tables.push_back(conditions.table);
  }

  // Part B: the head studies.
  max_of_list_study(opt, plan, stages, res.summary);
  count01_main_study(opt, plan, study, stages, res.summary);

  json claims = json::array();
  for (const auto& r : rows) claims.push_back(r.to_json());
  res.summary["claims"] = claims;
  res.summary["plan"] = plan_json(opt, plan);
  res.summary["seconds"] = stages.seconds();
  res.markdown = render_markdown(opt, plan, res.summary, rows, conditions.markdown(), res.tables, stages.seconds());
  write_outputs(opt, res, stages);
  return res;
}

}  // namespace hc
