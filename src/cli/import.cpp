// headcount import: foreign weights (PyTorch puzzle layout, TransformerLens)
// -> a run directory the other commands accept.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "train/evaluate.hpp"

namespace hc::cli {

namespace {

struct ImportFlags {
  LoadFlags load;
  std::string out;
  bool json = false;
  bool force = false;
};

void run(const ImportFlags& f) {
  if (f.out.empty()) throw Error("import needs --out DIR: the run directory to create");
  if (output_dir_state(f.out, "--out") == DirState::Filled && !f.force)
    throw Error("--out " + f.out + " already holds files; pass --force to replace it whole, or choose another --out");
  LoadedModel m = load_model(f.load);  // first, so bad weights leave no directory behind
  TrainConfig cfg = default_train_config(m.config.task.name);
  cfg.task = m.config.task;
  cfg.model = m.config.model;
  // Written beside --out and renamed into place: nothing of an old directory
  // (checkpoint, log, analysis/) survives, and a failure leaves it as it was.
  StagedDir staged(f.out);
  save_run(staged.path(), cfg, *m.model);
  staged.commit();
  if (f.json) {
    nlohmann::json j = {{"model", m.source},           {"out", f.out},
                        {"task", cfg.task.name},       {"config", to_json(cfg.model)},
                        {"parameters", m.model->params().size()}, {"notes", m.notes}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (const auto& note : m.notes) std::printf("note: %s\n", note.c_str());
  std::printf("imported %s as task %s: L%d D%d H%d E%d V%d T%d, pos %s, biases %s, %zu parameters\n",
              m.source.c_str(), cfg.task.name.c_str(), cfg.model.n_layers, cfg.model.d_model, cfg.model.n_heads,
              cfg.model.d_head, cfg.model.d_vocab, cfg.model.n_ctx, cfg.model.pos_embed ? "learned" : "none",
              cfg.model.biases ? "on" : "off", m.model->params().size());
  std::printf("run directory: %s\n", f.out.c_str());
}

}  // namespace

void register_import(CLI::App& app) {
  auto f = std::make_shared<ImportFlags>();
  CLI::App* sub = app.add_subcommand("import", "Turn foreign weights into a run directory");
  f->load.add_to(*sub);
  sub->add_option("--out", f->out, "The run directory to write")->required();
  sub->add_flag("--force", f->force, "Replace an existing --out whole");
  sub->add_flag("--json", f->json, "Print the result as JSON (schema: docs/CLI.md)");
  sub->callback([f] { run(*f); });
}

}  // namespace hc::cli
