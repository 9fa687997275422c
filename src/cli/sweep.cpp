// headcount sweep / sweep-report / sweep-merge: many models from one spec,
// resumable, one results table.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "sweep/sweep.hpp"

namespace hc::cli {

namespace {

struct SweepFlags {
  std::string spec, out, shard;
  int jobs = 1;
  bool mpi = false, quiet = false, json = false;
};

void run_sweep_cmd(const SweepFlags& f) {
  // Everything about the spec and the flags is checked before any run starts.
  const SweepSpec spec = load_spec(f.spec);
  SweepOptions opt;
  opt.out = f.out;
  opt.jobs = f.jobs;
  opt.progress = !f.quiet && !f.json;
  if (!f.shard.empty()) parse_shard(f.shard, opt.shard, opt.shards);
  if (f.mpi && !f.shard.empty()) throw Error("--mpi and --shard do not combine: MPI already spreads the runs");
  const size_t n = expand(spec).size();
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
  bool json = false;
};

}  // namespace

void register_sweep(CLI::App& app) {
  auto f = std::make_shared<SweepFlags>();
  CLI::App* sub = app.add_subcommand("sweep", "Train a grid of models from a spec; resumable; one results table");
  sub->add_option("spec", f->spec, "Spec file (JSON): train options, any of them a list; \"seeds\"; \"analyses\"")->required();
  sub->add_option("--out", f->out, "Output directory (runs/, results.csv, results.sqlite)")->required();
  sub->add_option("--jobs", f->jobs, "Models trained at once, one core each (default 1); results do not depend on it");
  sub->add_option("--shard", f->shard, "Run only slice i of n (i/n, e.g. 0/4), for Slurm job arrays; merge with sweep-merge");
  sub->add_flag("--mpi", f->mpi, "Run under mpirun: rank 0 hands out runs, the other ranks train");
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
  mer->add_flag("--json", m->json, "Print the result as JSON (schema: docs/CLI.md)");
  mer->callback([m] {
    std::vector<SweepResults> parts;
    for (const auto& d : m->dirs) parts.push_back(read_results(d));
    SweepResults merged = merge_results(parts);
    ensure_writable_dir(m->out);
    write_results(m->out, merged);
    if (m->json) {
      std::cout << nlohmann::json({{"out", m->out}, {"n_shards", parts.size()}, {"n_runs", merged.runs.size()}}).dump(2)
                << "\n";
      return;
    }
    std::printf("merged %zu shards: %zu runs -> %s/results.csv\n", parts.size(), merged.runs.size(), m->out.c_str());
  });
}

}  // namespace hc::cli
