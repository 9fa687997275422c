// headcount eval: accuracy of a model on a held-out or given evaluation set.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "train/evaluate.hpp"

namespace hc::cli {

namespace {

struct EvalFlags {
  LoadFlags load;
  std::string eval_set;
  int n = 5000;
  uint64_t seed = 1;
  int threads = 0;
  bool json = false;
};

void run(const EvalFlags& f) {
  LoadedModel m = load_model(f.load);
  Dataset ds = eval_dataset(*m.task, f.eval_set, f.n, f.seed);
  EvalResult r = evaluate(*m.model, *m.task, ds, f.threads > 0 ? f.threads : default_threads());
  if (f.json) {
    // Keys as in the schema of docs/CLI.md.
    nlohmann::json j = {{"model", m.source},           {"task", m.task->name()},
                        {"config", to_json(m.config.model)}, {"eval_set", ds.source},
                        {"n_examples", r.n},           {"n_correct", int(r.accuracy * r.n + 0.5)},
                        {"accuracy", r.accuracy},      {"eos_accuracy", r.eos_accuracy},
                        {"seq_accuracy", r.seq_accuracy}, {"loss", r.loss},
                        {"notes", m.notes}};
    if (!r.parts.empty()) j["accuracy_parts"] = parts_json(r.parts);
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (const auto& note : m.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  std::printf("model:        %s (%s)\n", m.source.c_str(), m.task->name().c_str());
  std::printf("eval set:     %s\n", ds.source.c_str());
  std::printf("accuracy:     %.4f (%d / %d)\n", r.accuracy, int(r.accuracy * r.n + 0.5), r.n);
  if (r.has_eos) {
    std::printf("EOS accuracy: %.4f\n", r.eos_accuracy);
    std::printf("sequence:     %.4f\n", r.seq_accuracy);
  }
  std::printf("loss:         %.4f\n", r.loss);
  for (const auto& p : r.parts)
    std::printf("  %-12s %.4f (%lld / %lld)\n", p.key.c_str(), p.accuracy(), (long long)p.correct, (long long)p.n);
}

}  // namespace

void register_eval(CLI::App& app) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* sub = app.add_subcommand("eval", "Accuracy of a model on a held-out or given evaluation set");
  sub->add_option("--eval-set", f->eval_set, "Evaluation set in the text form (default: generated held-out set)");
  f->load.add_to(*sub);  // after --eval-set: the command's flag, not the file task's
  add_checked_option(*sub, "--n", f->n, 1, 10000000, "Size of the generated held-out set (default 5000, at most 10000000)");
  add_seed_option(*sub, f->seed, "Seed of the generated held-out set (default 1)");
  add_checked_option(*sub, "--threads", f->threads, 0, 1024, "Threads (default: the idle cores, by load average)");
  sub->add_flag("--json", f->json, "Print the result as JSON (schema: docs/CLI.md)");
  sub->callback([f] { run(*f); });
}

}  // namespace hc::cli
