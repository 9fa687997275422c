// headcount analyze: the whole head study (ANALYSES.md part B) on one model.
// Writes summary.json, one CSV per table and summary.txt into the output
// directory, and prints the text summary (or, with --json, summary.json).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "interp/edge_scaling.hpp"
#include "report/report.hpp"
#include "interp/analysis.hpp"
#include "studies/head_study.hpp"
#include "studies/study_report.hpp"
#include "tasks/task.hpp"

namespace hc::cli {

namespace {

namespace fs = std::filesystem;

struct AnalyzeFlags {
  LoadFlags load;
  std::string eval_set;
  std::string train_set;
  int n = 5000;
  uint64_t seed = 1;
  std::string only;
  std::string heads_of_interest;
  std::string families;
  std::string out;
  int threads = 0;
  bool json = false;
  bool quiet = false;      // no progress lines on stderr
  bool png = false;        // also png/<figure>.png through headless Chromium
  bool no_report = false;  // skip report.html
};

// analysis/ inside a run directory, <stem>-analysis/ beside a weights file.
std::string default_out(const LoadedModel& m, const std::string& path) {
  if (m.from_run_dir) return (fs::path(path) / "analysis").string();
  const fs::path p(path);
  return (p.parent_path() / (p.stem().string() + "-analysis")).string();
}

// What a progress line adds for the analyses whose cost grows with depth:
// ablation's hooked passes, and edge scaling's (run by --only edge_scaling).
std::string progress_note(const std::string& analysis, const ModelConfig& c, const HeadStudyOptions& opt, size_t n) {
  if (analysis == "ablation" && c.n_layers > 1)  // the last-layer shortcut (ANALYSES.md)
    return " (" + std::to_string(c.n_layers) + " layers: one hooked forward pass over " + std::to_string(n) +
           " examples per set of ablated heads in layers 0.." + std::to_string(c.n_layers - 2) +
           ", per mode; a smaller --n or --only without ablation shortens it)";
  if (analysis != "edge_scaling") return "";
  EdgeScalingOptions eo;
  eo.pair_heads = opt.heads_of_interest;
  const size_t passes = edge_scaling_hooked_passes(c, eo);
  if (passes == 0) return "";
  return " (" + std::to_string(c.n_layers) + " layers, no shortcut: " + std::to_string(passes) +
         " hooked forward passes over " + std::to_string(n) + " examples; --heads-of-interest or a smaller --n "
         "shortens it)";
}

// report.html (docs/REPORT.md): the tables just written, the model card, the
// run's training curve and the attention patterns of 8 evaluation examples.
ReportResult write_analyze_report(const AnalyzeFlags& f, const LoadedModel& m, const Dataset& ds, const HeadStudy& st,
                                  const std::string& out) {
  ReportInputs in = study_report_inputs("headcount analyze: " + m.source, m.source, *m.model, *m.task, ds, st,
                                        m.from_run_dir ? (fs::path(f.load.path) / "train_log.csv").string() : "");
  in.png = f.png;
  return write_report(out, in);
}

void run(const AnalyzeFlags& f) {
  // Cheap checks first, so that a typo does not cost a model load.
  HeadStudyOptions opt;
  if (!f.only.empty()) opt.only = parse_analysis_names(f.only);
  LoadedModel m = load_model(f.load);
  const ModelConfig& c = m.model->config();
  if (!f.heads_of_interest.empty())
    opt.heads_of_interest = parse_head_list(f.heads_of_interest, c.n_layers * c.n_heads, "--heads-of-interest");
  opt.families = f.families;
  opt.seed = f.seed;
  opt.threads = f.threads > 0 ? f.threads : default_threads();
  opt.model_source = m.source;
  const Dataset ds = eval_dataset(*m.task, f.eval_set, f.n, f.seed);
  // The Count01 probe's training split; without --train-set head_study
  // generates one from the task's train split.
  Dataset train;
  if (!f.train_set.empty()) {
    // Only analyses that fit a probe read a train set; one of them must run.
    std::vector<std::string> users, why;
    for (const Analysis& a : analyses()) {
      if (!a.uses_train_set) continue;
      users.push_back(a.name);
      const std::string w = a.not_applicable(c, *m.task);
      if (!w.empty()) why.push_back(w);
    }
    if (why.size() == users.size()) {
      std::string list;
      for (const auto& u : users) list += (list.empty() ? "" : ", ") + u;
      throw Error("--train-set: only the analyses that fit a probe (" + list + ") use a train set, and they " +
                  (why.empty() ? std::string("are not registered") : why.front()) + ": drop --train-set");
    }
    train = load_text(*m.task, f.train_set);
    opt.train = &train;
  }
  const std::string out = f.out.empty() ? default_out(m, f.load.path) : f.out;
  ensure_writable_dir(out);

  // Progress on stderr: which analysis is running and the time so far.
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const bool progress = !f.quiet && !f.json;
  if (progress) {
    opt.progress = [&](const std::string& name) {
      std::fprintf(stderr, "[%6.1f s] analyze: %s%s\n", elapsed(), name.c_str(),
                   progress_note(name, c, opt, ds.examples.size()).c_str());
      std::fflush(stderr);
    };
  }
  const HeadStudy st = head_study(*m.model, *m.task, ds, opt);
  if (progress && st.summary.contains("not_run"))
    for (const auto& [name, why] : st.summary["not_run"].items())
      std::fprintf(stderr, "[%6.1f s] analyze: left out %s: %s\n", elapsed(), name.c_str(), why.get<std::string>().c_str());
  if (progress) std::fprintf(stderr, "[%6.1f s] analyze: writing the tables%s\n", elapsed(), f.no_report ? "" : " and report.html");
  for (const auto& t : st.tables) write_csv(t, out);
  write_file_atomic((fs::path(out) / "summary.json").string(), st.summary.dump(2) + "\n");
  write_file_atomic((fs::path(out) / "summary.txt").string(), st.text);
  ReportResult report;
  if (!f.no_report) report = write_analyze_report(f, m, ds, st, out);
  if (progress) std::fprintf(stderr, "[%6.1f s] analyze: done\n", elapsed());
  if (f.json) {
    nlohmann::json j = st.summary;  // summary.json, plus where it was written
    j["out"] = out;
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (const auto& note : m.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  std::cout << st.text << "\nwrote summary.json, summary.txt and " << st.tables.size() << " tables (CSV) to " << out
            << "\n";
  if (!f.no_report) {
    std::printf("wrote report.html (%.1f MB, %zu sections)%s\n", double(report.bytes) / 1e6, report.sections.size(),
                report.pngs.empty() ? "" : (" and " + std::to_string(report.pngs.size()) + " PNG figures in png/").c_str());
    if (f.png && report.pngs.empty()) std::fprintf(stderr, "note: %s\n", report.png_note.c_str());
  }
}

}  // namespace

void register_analyze(CLI::App& app) {
  auto f = std::make_shared<AnalyzeFlags>();
  CLI::App* sub = app.add_subcommand("analyze", "Run the head study: ablations, edge scaling, attention, DLA, ...");
  sub->add_option("--eval-set", f->eval_set, "Evaluation set in the text form (default: generated held-out set)");
  sub->add_option("--train-set", f->train_set,
                  "Count01: the split the s-acc probe is fitted on, in the text form (default: generated train split)");
  f->load.add_to(*sub);  // after --eval-set: the command's flag, not the file task's
  add_checked_option(*sub, "--n", f->n, 1, 100000, "Size of the generated held-out set (and of the generated train split; default 5000, at most 100000)");
  add_seed_option(*sub, f->seed, "Seed of the generated held-out set and invariance families (default 1)");
  sub->add_option("--only", f->only,
                  "Comma-separated analyses: ablation, edge_scaling, attention, value_norms, invariance, dla, circuits, "
                  "and for one-layer Count01 models head_metrics, w01_intervention, logit_dynamics");
  sub->add_option("--heads-of-interest", f->heads_of_interest,
                  "Comma-separated heads: edge-scaling pairs only among these (default: every pair)");
  sub->add_option("--families", f->families,
                  "Invariance families in the text form, blank lines between families (default: generated)");
  sub->add_option("--out", f->out, "Output directory (default: RUN/analysis or WEIGHTS-STEM-analysis)");
  add_checked_option(*sub, "--threads", f->threads, 0, 1024, "Threads (default: the idle cores, by load average; results do not depend on it)");
  sub->add_flag("--json", f->json, "Print summary.json instead of the text summary (no progress lines)");
  sub->add_flag("--quiet", f->quiet, "No progress lines on stderr");
  CLI::Option* png = sub->add_flag("--png", f->png, "Also export each report figure as png/<figure>.png (needs Chromium)");
  sub->add_flag("--no-report", f->no_report, "Do not write report.html")->excludes(png);
  sub->callback([f] { run(*f); });
}

}  // namespace hc::cli
