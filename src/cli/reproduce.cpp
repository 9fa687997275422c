// headcount reproduce: the Count01 paper study and the Max-of-List head study,
// end to end, into one output directory with REPRODUCTION.md on top.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "studies/reproduce.hpp"

namespace hc::cli {

namespace {

struct ReproduceFlags {
  std::string out = "reproduce";
  bool full = false;
  int jobs = 0;
  bool json = false;
  bool quiet = false;
};

void run(const ReproduceFlags& f, const std::string& command) {
  ReproduceOptions opt;
  opt.out = f.out;
  opt.full = f.full;
  opt.jobs = f.jobs > 0 ? f.jobs : default_threads();
  opt.progress = !f.quiet && !f.json;
  opt.command = command;
  const ReproducePlan plan = f.full ? ReproducePlan::full() : ReproducePlan::quick();
  const ReproduceResult r = run_reproduce(opt, plan);
  if (f.json) {
    nlohmann::json j = r.summary;  // summary.json, plus where it was written
    j["out"] = f.out;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << r.markdown << "\nwrote " << f.out << "/REPRODUCTION.md, summary.json and " << r.tables.size()
            << " tables (CSV)\n";
}

}  // namespace

void register_reproduce(CLI::App& app) {
  auto f = std::make_shared<ReproduceFlags>();
  CLI::App* sub = app.add_subcommand(
      "reproduce", "Reproduce the Count01 paper's claims and run the Max-of-List head study (one output directory)");
  sub->add_option("--out", f->out, "Output directory (default: reproduce)");
  sub->add_flag("--full", f->full, "More seeds and the full training recipes (default: the quick study, about 1.5 min on 2 cores)");
  add_checked_option(*sub, "--jobs", f->jobs, 1, 1024,
                     "Models trained at once, one core each (default: the idle cores, by load average; results do not depend on it)");
  sub->add_flag("--json", f->json, "Print summary.json instead of REPRODUCTION.md (no stage lines)");
  sub->add_flag("--quiet", f->quiet, "No stage lines on stderr");
  sub->callback([f] {
    std::string cmd = "headcount reproduce";
    if (f->full) cmd += " --full";
    if (f->out != "reproduce") cmd += " --out " + f->out;
    run(*f, cmd);
  });
}

}  // namespace hc::cli
