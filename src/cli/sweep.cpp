// headcount sweep / sweep-report / sweep-merge: many models from one spec,
// resumable, one results table.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "sweep/estimate.hpp"
#include "sweep/sweep.hpp"
#include "train/progress.hpp"

namespace hc::cli {

namespace {

struct SweepFlags {
  std::string spec, out, shard;
  int jobs = 1;
  bool mpi = false, quiet = false, json = false;
  bool force = false, yes = false, dry_run = false;
};

// --dry-run: the grid's size, disk and time, and nothing run.
void print_dry_run(const SweepFlags& f, const SweepSpec& spec, const GridEstimate& e) {
  if (f.json) {
    // Counts are n_*, estimates estimated_* (docs/cli-json-schema.json).
    std::cout << nlohmann::json({{"out", f.out}, {"dry_run", true}, {"n_runs", e.runs},
                                 {"n_configurations", e.configurations}, {"n_seeds", spec.seeds.size()},
                                 {"jobs", f.jobs}, {"estimated_disk_bytes", e.disk_bytes},
                                 {"estimated_seconds", e.seconds}, {"train_steps", e.train_steps},
                                 {"measured_step_seconds", e.measured_step_s},
                                 {"needs_yes", e.runs > kGridRunsNeedingYes || e.disk_bytes > kGridBytesNeedingYes}})
                     .dump(2)
              << "\n";
    return;
  }
  std::printf("sweep %s: %llu runs (%llu configurations x %zu seeds), %d at a time -> %s\n", f.spec.c_str(),
              (unsigned long long)e.runs, (unsigned long long)e.configurations, spec.seeds.size(), f.jobs, f.out.c_str());
  if (e.invalid_sampled)
    std::printf("invalid configurations: %llu of the %llu looked at (they fail at once and are recorded as failed)\n",
                (unsigned long long)e.invalid_sampled, (unsigned long long)e.sampled);
  std::printf("estimated disk: %s of run directories (%s per run on average)\n", format_bytes(e.disk_bytes).c_str(),
              format_bytes(e.runs ? e.disk_bytes / double(e.runs) : 0).c_str());
  std::printf("estimated time: %s with --jobs %d (measured %.2f ms per training step on %s, one thread%s)\n",
              format_duration(e.seconds).c_str(), f.jobs, 1e3 * e.measured_step_s, e.measured_on.c_str(),
              e.target_accuracy ? "; an upper bound: target-accuracy stops runs early" : "");
  std::printf("limits without --yes: %llu runs, %s\n", (unsigned long long)kGridRunsNeedingYes,
              format_bytes(kGridBytesNeedingYes).c_str());
  std::printf("nothing was run (--dry-run)\n");
}

void run_sweep_cmd(const SweepFlags& f) {
  // Everything about the spec and the flags is checked before any run starts.
  const SweepSpec spec = load_spec(f.spec);
  SweepOptions opt;
  opt.out = f.out;
  opt.jobs = f.jobs;
  opt.progress = !f.quiet && !f.json;
  if (!f.shard.empty()) parse_shard(f.shard, opt.shard, opt.shards);
  if (f.mpi && !f.shard.empty()) throw Error("--mpi and --shard do not combine: MPI already spreads the runs");
  opt.force = f.force;
  const GridEstimate est = estimate_grid(spec, f.jobs, f.dry_run);
  if (f.dry_run) {
    check_grid_size(spec, est, true);  // the hard limit only
    print_dry_run(f, spec, est);
    return;
  }
  check_grid_size(spec, est, f.yes);
  const size_t n = est.runs;
  SweepResults r;
  if (f.mpi) {
    r = run_sweep_mpi(spec, opt, 0, nullptr);
    if (r.spec_digest.empty()) return;  // a worker rank: rank 0 reports
  } else {
    if (opt.progress)
      std::fprintf(stderr, "sweep %s: %zu runs%s, %d at a time -> %s\n", f.spec.c_str(), n,
                   opt.shards > 1 ? (" (shard " + f.shard + ")").c_str() : "", opt.jobs, f.out.c_str());
    r = run_sweep(spec, opt);
  }
  int ok = 0, failed = 0, skipped = 0;
  for (const auto& o : r.runs) {
    ok += o.status == "ok";
    failed += o.status != "ok";
    skipped += o.skipped;
  }
  if (f.json) {
    std::cout << nlohmann::json({{"out", f.out}, {"n_runs", r.runs.size()}, {"ok", ok}, {"failed", failed},
                                 {"skipped", skipped}}).dump(2) << "\n";
    return;
  }
  std::printf("%zu runs: %d ok, %d failed, %d already done (skipped)\n", r.runs.size(), ok, failed, skipped);
  std::printf("results: %s/results.csv, %s/results.sqlite\n", f.out.c_str(), f.out.c_str());
  std::printf("%s", report(r, {}).c_str());
}

struct ReportFlags {
  std::string dir;
  std::vector<std::string> by;
  bool json = false;
};

struct MergeFlags {
  std::vector<std::string> dirs;
  std::string out;
  bool partial = false, force = false;
  bool json = false;
};

void run_merge(const MergeFlags& m) {
  std::vector<SweepResults> parts;
  for (const auto& d : m.dirs) parts.push_back(read_results(d));
  SweepResults merged = merge_results(parts, m.partial, m.dirs);
  if (output_dir_state(m.out, "--out") == DirState::Filled && !m.force)
    throw Error("--out " + m.out + " already holds files; pass --force to replace it whole, or choose another --out");
  StagedDir staged(m.out);  // written beside --out, renamed into place
  write_results(staged.path(), merged);
  staged.commit();
  if (m.json) {
    nlohmann::json j = {{"out", m.out}, {"n_shards", parts.size()}, {"n_runs", merged.runs.size()}};
    if (merged.grid_runs >= 0) j["grid_runs"] = merged.grid_runs;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("merged %zu shards: %zu runs -> %s/results.csv\n", parts.size(), merged.runs.size(), m.out.c_str());
  if (merged.grid_runs >= 0 && int64_t(merged.runs.size()) != merged.grid_runs)
    std::printf("partial: %zu of the grid's %lld runs (--partial)\n", merged.runs.size(), (long long)merged.grid_runs);
}

}  // namespace

void register_sweep(CLI::App& app) {
  auto f = std::make_shared<SweepFlags>();
  CLI::App* sub = app.add_subcommand("sweep", "Train a grid of models from a spec; resumable; one results table");
  sub->add_option("spec", f->spec, "Spec file (JSON): train options, any of them a list; \"seeds\"; \"analyses\"")->required();
  sub->add_option("--out", f->out, "Output directory (runs/, results.csv, results.sqlite)")->required();
  add_checked_option(*sub, "--jobs", f->jobs, 1, 1024, "Models trained at once, one core each (default 1); results do not depend on it");
  sub->add_option("--shard", f->shard, "Run only slice i of n (i/n, e.g. 0/4), for Slurm job arrays; merge with sweep-merge");
  sub->add_flag("--mpi", f->mpi, "Run under mpirun: rank 0 hands out runs, the other ranks train");
  sub->add_flag("--force", f->force, "--out holds another spec's sweep (or other files): replace it whole");
  sub->add_flag("--yes", f->yes, "Start a grid over 10000 runs or 20 GB of run directories");
  sub->add_flag("--dry-run", f->dry_run, "Print the grid's size, estimated disk and time, and run nothing");
  sub->add_flag("--quiet", f->quiet, "No progress lines");
  sub->add_flag("--json", f->json, "Print the counts as JSON, no progress lines (schema: docs/CLI.md)");
  sub->callback([f] { run_sweep_cmd(*f); });

  auto r = std::make_shared<ReportFlags>();
  CLI::App* rep = app.add_subcommand("sweep-report", "Summarise a sweep's results, grouped by config columns");
  rep->add_option("dir", r->dir, "The sweep's --out directory (or a sweep-merge output)")->required();
  rep->add_option("--by", r->by, "Config columns to group by, e.g. --by d_model heads")->delimiter(',');
  rep->add_flag("--json", r->json, "Print the groups as JSON (schema: docs/CLI.md)");
  rep->callback([r] {
    const SweepResults res = read_results(r->dir);
    if (r->json) {
      nlohmann::json j = report_json(res, r->by);
      j["dir"] = r->dir;
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::printf("%s", report(res, r->by).c_str());
  });

  auto m = std::make_shared<MergeFlags>();
  CLI::App* mer = app.add_subcommand("sweep-merge", "Merge the output directories of --shard runs into one results table");
  mer->add_option("dirs", m->dirs, "Shard output directories")->required();
  mer->add_option("--out", m->out, "Where to write the merged results.csv, results.json and results.sqlite")->required();
  mer->add_flag("--partial", m->partial, "Merge even with shards missing or given twice (a partial table)");
  mer->add_flag("--force", m->force, "Replace an existing --out whole");
  mer->add_flag("--json", m->json, "Print the result as JSON (schema: docs/CLI.md)");
  mer->callback([m] { run_merge(*m); });
}

}  // namespace hc::cli
