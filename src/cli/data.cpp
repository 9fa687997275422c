// headcount data: write examples of a task in the text form, e.g. to make a
// fixed evaluation set for `eval --eval-set`.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "tasks/registry.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hc::cli {

namespace {

struct DataFlags {
  TaskFlags task;
  std::string split = "test";
  int n = 1000;
  uint64_t seed = 1;
  std::string out;
  bool force = false;
  bool json = false;
};

// --json: what was written, and without --out the examples themselves.
void print_json(const DataFlags& f, const Task& task, const Dataset& ds) {
  nlohmann::json j = {{"task", task.name()},  {"split", f.split},
                      {"seed", f.seed},       {"n_examples", ds.examples.size()},
                      {"out", f.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.out)}};
  if (f.out.empty()) {
    nlohmann::json ex = nlohmann::json::array();
    for (const auto& e : ds.examples) ex.push_back(task.format(e));
    j["examples"] = ex;
  }
  std::cout << j.dump(2) << "\n";
}

void run(const DataFlags& f) {
  TaskConfig tc = f.task.apply(default_task_config(registered_tasks().front().name));
  auto task = make_task(tc);
  if (!f.out.empty()) {
    // Symbolic links, FIFOs and devices are refused even with --force (docs/CLI.md).
    check_replaceable_file(f.out, "--out");
    std::error_code ec;
    if (std::filesystem::exists(f.out, ec) && !f.force)
      throw Error("--out " + f.out + " already exists; pass --force to replace it, or choose another --out");
  }
  if (f.split != "train" && f.split != "test") throw Error("--split must be train or test (got '" + f.split + "')");
  // Stream 1 is the held-out set `train` and `eval` generate for this seed; 2 is a training sample.
  const Split split = f.split == "test" ? Split::Test : Split::Train;
  Dataset ds = generate(*task, split, f.n, f.seed, split == Split::Test ? 1 : 2);
  // Tasks whose splits are small or uneven say what each holds (count-unique).
  for (const auto& line : task->split_sizes()) std::fprintf(stderr, "split: %s\n", line.c_str());
  if (f.out.empty()) {
    if (f.json) return print_json(f, *task, ds);
    std::fputs(task->text_header().c_str(), stdout);  // a file task's header: the output is again a data file
    for (const auto& ex : ds.examples) std::printf("%s\n", task->format(ex).c_str());
    return;
  }
  save_text(*task, ds, f.out);
  if (f.json) return print_json(f, *task, ds);
  std::fprintf(stderr, "wrote %zu %s examples of %s to %s\n", ds.examples.size(), f.split.c_str(), task->name().c_str(),
               f.out.c_str());
}

}  // namespace

void register_data(CLI::App& app) {
  auto f = std::make_shared<DataFlags>();
  CLI::App* sub = app.add_subcommand("data", "Write examples of a task in the text form");
  f->task.add_to(*sub);
  sub->add_option("--split", f->split, "train or test (default test: the held-out split)");
  add_checked_option(*sub, "--n", f->n, 1, 100000000, "Number of examples (default 1000, at most 100000000)");
  add_seed_option(*sub, f->seed, "Seed (default 1; with --split test this is the set eval uses for that seed)");
  sub->add_option("--out", f->out, "Output file (default: standard output); an existing file needs --force");
  sub->add_flag("--force", f->force, "Replace an existing --out file");
  sub->add_flag("--json", f->json, "Print the result as JSON; without --out it holds the examples (schema: docs/CLI.md)");
  sub->callback([f] { run(*f); });
}

}  // namespace hc::cli
