// headcount train: train one model and write its run directory.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "core/error.hpp"
#include "train/checkpoint.hpp"

namespace hc::cli {

namespace {

struct TrainFlags {
  // The option table (train/options.hpp): task, model and training options.
  std::vector<std::pair<const TrainOption*, CLI::Option*>> options;
  OptionValues given;  // filled from the parser
  int threads = 0;
  std::string out;
  bool quiet = false, json = false;
  // Crash safety (CHECKPOINTS in docs/RELIABILITY.md).
  std::optional<int64_t> checkpoint_every;
  std::string resume;
  bool skip_bad_batches = false;
  int max_bad_in_a_row = 10;
};

// The checkpoint of a killed run, checked before anything is written.
Checkpoint resumable_checkpoint(const TrainFlags& f) {
  // Every option of the table changes the configuration; a resumed run takes it from its checkpoint.
  for (const auto& [o, cli] : f.options)
    if (cli->count() > 0)
      throw Error("--resume continues " + f.resume + " with the configuration in its checkpoint; drop " +
                  o->spec.flag() + " (to change the configuration, start a new run without --resume)");
  if (!f.out.empty() && f.out != f.resume)
    throw Error("--resume " + f.resume + " writes into that run directory; drop --out " + f.out);
  const std::string path = checkpoint_path(f.resume);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error("--resume " + f.resume + ": there is no " + path +
                " (a run writes one every --checkpoint-every steps; a run killed before its first checkpoint "
                "has nothing to resume: start it again without --resume)");
  Checkpoint ck = load_checkpoint(path);
  if (ck.finished)
    throw Error("--resume " + f.resume + ": that run finished at step " + std::to_string(ck.step) +
                " and its model.safetensors is final; there is nothing to resume (start a new run to train more)");
  return ck;
}

void run(const TrainFlags& f) {
  std::optional<Checkpoint> ck;
  if (!f.resume.empty()) ck = resumable_checkpoint(f);
  TrainConfig cfg = ck ? ck->config : build_train_config(f.given);
  TrainOptions opt;
  opt.threads = f.threads > 0 ? f.threads : default_threads();
  opt.progress = !f.quiet;
  opt.out_dir = ck ? f.resume : f.out.empty() ? "runs/" + cfg.task.name + "-s" + std::to_string(cfg.seed) : f.out;
  opt.checkpoint_every = f.checkpoint_every.value_or(-1);
  opt.skip_bad_batches = f.skip_bad_batches;
  opt.max_bad_in_a_row = f.max_bad_in_a_row;
  opt.resume = ck ? &*ck : nullptr;
  Model<float> model(cfg.model);
  model.init(cfg.seed);
  if (ck) {
    // A kill during a write leaves its temporary file; the finished files are intact.
    const int stale = remove_stale_temporaries(f.resume);
    if (!f.quiet)
      std::fprintf(stderr, "resuming %s from step %lld of %lld (%s%s)\n", f.resume.c_str(), (long long)ck->step,
                   (long long)cfg.steps, checkpoint_path(f.resume).c_str(),
                   stale ? (", removed " + std::to_string(stale) + " unfinished temporary file(s)").c_str() : "");
  }
  if (!f.quiet) {
    std::fprintf(stderr, "training %s: L%d D%d H%d E%d V%d T%d, pos %s, biases %s, %zu parameters, %lld steps of %d, %d threads -> %s\n",
                 cfg.task.name.c_str(), cfg.model.n_layers, cfg.model.d_model, cfg.model.n_heads, cfg.model.d_head,
                 cfg.model.d_vocab, cfg.model.n_ctx, cfg.model.pos_embed ? "learned" : "none",
                 cfg.model.biases ? "on" : "off", model.params().size(), (long long)cfg.steps, cfg.batch, opt.threads,
                 opt.out_dir.c_str());
  }
  TrainResult r = train(cfg, opt, model);
  nlohmann::json j = {{"out", opt.out_dir},
                      {"parameters", model.params().size()},
                      {"steps", r.steps_done},
                      {"seconds", r.seconds},
                      {"steps_per_second", r.steps_per_second},
                      {"accuracy", r.final_eval.accuracy},
                      {"eos_accuracy", r.final_eval.eos_accuracy},
                      {"n", r.final_eval.n},
                      {"reached_target", r.reached_target},
                      {"resumed_from", r.resumed_from},
                      {"skipped_batches", r.skipped_batches}};
  if (f.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    std::printf("parameters: %zu\nsteps: %lld in %.1f s (%.0f steps/s)\nheld-out accuracy: %.2f%% (EOS %.2f%%) on %d examples\nrun directory: %s\n",
                model.params().size(), (long long)r.steps_done, r.seconds, r.steps_per_second,
                100 * r.final_eval.accuracy, 100 * r.final_eval.eos_accuracy, r.final_eval.n, opt.out_dir.c_str());
  }
}

}  // namespace

void register_train(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* sub = app.add_subcommand("train", "Train a model and write a run directory");
  for (const auto& o : train_options()) f->options.emplace_back(&o, add_train_option(*sub, o));
  add_checked_option(*sub, "--threads", f->threads, 0, 1024, "Threads (default: all cores); results do not depend on it");
  sub->add_option("--out", f->out, "Run directory (default runs/TASK-sSEED)");
  sub->add_flag("--quiet", f->quiet, "No progress output");
  sub->add_flag("--json", f->json, "Print the result as JSON");
  add_checked_option(*sub, "--checkpoint-every", f->checkpoint_every, 0, 100000000,
                     "Write OUT/checkpoint.safetensors every N steps (default: every evaluation; 0: never)");
  sub->add_option("--resume", f->resume, "Continue the killed run in DIR from its last checkpoint");
  sub->add_flag("--skip-bad-batches", f->skip_bad_batches,
                "Skip a batch whose loss or gradient is NaN or Inf instead of stopping");
  add_checked_option(*sub, "--max-bad-in-a-row", f->max_bad_in_a_row, 1, 100000000,
                     "With --skip-bad-batches: stop after this many bad batches in a row (default 10)");
  sub->callback([f] {
    f->given = given_options(f->options);
    run(*f);
  });
}

}  // namespace hc::cli
