// Part B of `headcount reproduce`: the Max-of-List head study (the puzzle 1a
// recipe trained here) and the same head study on the first main Count01
// model, each written as an analysis directory with its own report.
#include <algorithm>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "report/report.hpp"
#include "studies/head_study.hpp"
#include "studies/study_report.hpp"
#include "studies/reproduce_internal.hpp"

namespace hc::repro {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

void write_study(const std::string& adir, const HeadStudy& hs) {
  for (const auto& t : hs.tables) write_csv(t, adir);
  write_file_atomic((fs::path(adir) / "summary.json").string(), hs.summary.dump(2) + "\n");
  write_file_atomic((fs::path(adir) / "summary.txt").string(), hs.text);
}

}  // namespace

void max_of_list_study(const ReproduceOptions& opt, const ReproducePlan& plan, Stages& stages, json& summary) {
  stages.say("Max-of-List: training the puzzle 1a model, then the head study");
  TrainConfig cfg = default_train_config("max-of-list");
  cfg.steps = plan.mol_steps;
  if (plan.mol_target > 0) cfg.target_accuracy = plan.mol_target, cfg.eval_every = 250;
  const std::string run_dir = (fs::path(opt.out) / "max_of_list" / "run").string();
  ensure_writable_dir(run_dir);
  Model<float> model(cfg.model);
  model.init(cfg.seed);
  TrainOptions to;
  to.threads = opt.jobs;
  to.progress = false;
  to.out_dir = run_dir;
  const TrainResult tr = train(cfg, to, model);
  const auto mt = make_task(cfg.task);
  const Dataset ds = generate(*mt, Split::Test, 5000, 1, 1);
  HeadStudyOptions ho;
  ho.threads = opt.jobs;
  ho.model_source = run_dir;
  const HeadStudy hs = head_study(model, *mt, ds, ho);
  const std::string adir = (fs::path(opt.out) / "max_of_list" / "analysis").string();
  ensure_writable_dir(adir);
  write_study(adir, hs);
  // The same page as `headcount analyze RUN` writes (docs/REPORT.md).
  write_report(adir, study_report_inputs("headcount reproduce: Max-of-List head study", run_dir, model, *mt, ds, hs,
                                         (fs::path(run_dir) / "train_log.csv").string()));
  summary["max_of_list"] = {{"run", run_dir}, {"analysis", adir}, {"steps", tr.steps_done},
                            {"accuracy", hs.summary["accuracy"]}, {"seconds", tr.seconds}};
  summary["max_of_list_text"] = hs.text;
}

void count01_main_study(const ReproduceOptions& opt, const ReproducePlan& plan, const Count01Study& study,
                        Stages& stages, json& summary) {
  stages.say("Count01: the head study on the first main model");
  for (const auto& tm : study.models) {
    if (!tm.final_model) continue;
    const std::string adir = (fs::path(opt.out) / "count01_main" / "analysis").string();
    ensure_writable_dir(adir);
    const TrainConfig cfg = count01_config(tm.spec, plan.count01_steps);
    const std::string run_dir = (fs::path(opt.out) / "count01_main" / "run").string();
    ensure_writable_dir(run_dir);
    save_run(run_dir, cfg, *tm.final_model);
    HeadStudyOptions ho;
    ho.threads = opt.jobs;
    ho.model_source = tm.spec.label();
    // The generic analyses plus logit dynamics: head_metrics and the w01
    // intervention, which head_study would also run on a one-layer Count01
    // model, are computed above on probe_train / probe_test already. Only
    // those that apply to this model (not the multi-layer ones).
    for (const Analysis& a : analyses())
      if (a.by_default && !a.uses_train_set && a.not_applicable(tm.final_model->config(), *study.task).empty())
        ho.only.push_back(a.name);
    const HeadStudy hs = head_study(*tm.final_model, *study.task, study.probe_test, ho);
    write_study(adir, hs);
    write_report(adir, study_report_inputs("headcount reproduce: Count01 head study (" + tm.spec.label() + ")",
                                           tm.spec.label(), *tm.final_model, *study.task, study.probe_test, hs, ""));
    summary["count01_main"] = {{"model", tm.spec.label()}, {"analysis", adir}, {"accuracy", hs.summary["accuracy"]}};
    break;
  }
}

}  // namespace hc::repro
