// The renderer of `headcount reproduce`: REPRODUCTION.md, summary.json, the
// CSV tables and the paper-figure report.
#include <filesystem>
#include <sstream>

#include "core/atomic_file.hpp"
#include "report/report.hpp"
#include "studies/reproduce_internal.hpp"
#include "studies/reproduce_stats.hpp"

namespace hc::repro {

namespace fs = std::filesystem;
using json = nlohmann::json;

json plan_json(const ReproduceOptions& opt, const ReproducePlan& plan) {
  return {{"full", opt.full},
          {"main_seeds", plan.main_seeds},
          {"isolated_seeds", plan.isolated_seeds},
          {"grid_seeds", plan.grid_seeds},
          {"count01_steps", plan.count01_steps},
          {"init_std", plan.init_std},
          {"snapshots", plan.snapshots},
          {"probe_train", plan.probe_train},
          {"probe_test", plan.probe_test},
          {"tiny_seeds", plan.tiny_seeds},
          {"tiny_steps", plan.tiny_steps},
          {"mol_steps", plan.mol_steps},
          {"mol_target", plan.mol_target},
          {"intervention_models", plan.intervention_models},
          {"bootstrap", plan.bootstrap},
          {"quality_models", plan.quality_models},
          {"quality_steps", plan.quality_steps},
          {"conditions_seeds", plan.conditions_seeds},
          {"conditions_steps", plan.conditions_steps},
          {"conditions_full", plan.conditions_full},
          {"jobs", opt.jobs}};
}

std::string render_markdown(const ReproduceOptions& opt, const ReproducePlan& plan, const json& summary,
                            const std::vector<ClaimRow>& rows, const std::string& conditions_md,
                            const std::vector<Table>& tables, double seconds) {
  const json& acc = summary.at("count01_main_accuracy");
  std::ostringstream md;
  md << "# Reproduction of \"Do Attention Heads Compete or Cooperate during Counting?\"\n\n"
     << "Made by `" << (opt.command.empty() ? std::string("headcount reproduce") : opt.command) << "` in "
     << fmt("%.0f", seconds) << " s (" << (opt.full ? "--full" : "quick default") << ", " << opt.jobs
     << " jobs). Count01 models: " << plan.main_seeds << " x D32 H16 E2 (main), " << plan.isolated_seeds
     << " x D32 H1 E2 (isolated), " << plan.grid_seeds << " x each of D16 H8 E2 and D8 H4 E2, "
     << plan.count01_steps << " steps each, init std "
     << (plan.init_std > 0 ? fmt("%g", plan.init_std) : std::string("0.8/sqrt(D)")) << "; per-head metrics on " << plan.probe_train << " train / "
     << plan.probe_test << " test examples. Main models' held-out accuracy: "
     << fmt_stat(Stat{acc["mean"].get<double>(), acc["sd"].get<double>(), acc["n"].get<int>()}, "%.4f")
     << ". Quality models (correlation over final models): " << plan.quality_models
     << " (D32 H16, D16 H8, D8 H4 cycling; steps cycling over";
  for (int64_t s : plan.quality_steps) md << " " << s;
  md << "). w01 intervention on " << plan.intervention_models << " main models.\n\n"
     << "**Statistics.** Every interval is a 95% percentile bootstrap (" << plan.bootstrap
     << " resamples) over models, the independent unit (one training run); its n is the number of models. "
        "Statistics of pooled heads or checkpoints resample whole models and pool what they hold (a clustered "
        "bootstrap); no interval resamples heads or checkpoints as if they were independent.\n\n"
     << "**Verdicts.** A quantitative claim is *reproduced* when our interval meets the paper's value read as a "
        "stated range, and *contradicted* when it lies outside it (with a null such as r = 0, an interval holding "
        "both is *not shown*). A qualitative claim (a direction) is *reproduced* when our interval excludes the "
        "null on the paper's side, *not shown* when it holds the null, *contradicted* when it excludes it on the "
        "other side. The rule and the numbers it was applied to stand beside each claim.\n\n"
     << "| claim | paper | ours | verdict | rule |\n|---|---|---|---|---|\n";
  for (const auto& r : rows) md << r.markdown_row();
  md << "\n" << conditions_md;
  md << "\n## Max-of-List head study (part B)\n\n```\n" << summary.at("max_of_list_text").get<std::string>()
     << "```\n\nTables: `max_of_list/analysis/`, `count01_main/analysis/`; Count01 tables here: ";
  for (size_t i = 0; i < tables.size(); ++i) md << (i ? ", " : "") << "`" << tables[i].name << ".csv`";
  md << ".\n\nFigures: `report.html` (the paper figures; open it in a browser, offline), and each model's "
        "`analysis/report.html`.\n";
  return md.str();
}

void write_outputs(const ReproduceOptions& opt, const ReproduceResult& res, Stages& stages) {
  for (const auto& t : res.tables) write_csv(t, opt.out);
  write_file_atomic((fs::path(opt.out) / "summary.json").string(), res.summary.dump(2) + "\n");
  write_file_atomic((fs::path(opt.out) / "REPRODUCTION.md").string(), res.markdown);
  const ReportResult page = write_reproduce_report(opt.out, res.tables, res.summary);
  stages.say("wrote " + page.path + " (" + std::to_string(page.sections.size()) + " sections of paper figures)");
  stages.say("wrote " + opt.out + "/REPRODUCTION.md, summary.json and " + std::to_string(res.tables.size()) +
             " tables");
}

}  // namespace hc::repro
