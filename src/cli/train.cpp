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
  TaskFlags task;
  std::optional<int> layers, d_model, heads, d_head;
  std::string pos;  // none | learned
  std::optional<bool> biases;
  std::optional<int64_t> steps, warmup, eval_every;
  std::optional<int> batch, eval_size;
  std::optional<double> lr, weight_decay, target_accuracy, init_std;
  std::string schedule;
  uint64_t seed = 1;
  int threads = 0;
  std::string out;
  bool quiet = false, json = false;
  // Crash safety (CHECKPOINTS in docs/RELIABILITY.md).
  std::optional<int64_t> checkpoint_every;
  std::string resume;
  bool skip_bad_batches = false;
  int max_bad_in_a_row = 10;
  std::vector<std::string> config_flags_given;  // filled from the parser, for --resume
};

// Flags that change the configuration; a resumed run takes it from its checkpoint.
const char* const kConfigFlags[] = {"--task", "--list-len", "--num-range", "--min-len", "--max-len", "--noise",
                                    "--ties-as-4", "--layers", "--d-model", "--heads", "--d-head", "--pos",
                                    "--biases", "--init-std", "--steps", "--batch", "--lr", "--weight-decay",
                                    "--schedule", "--warmup", "--eval-every", "--eval-size",
                                    "--target-accuracy", "--seed"};

// The checkpoint of a killed run, checked before anything is written.
Checkpoint resumable_checkpoint(const TrainFlags& f) {
  if (!f.config_flags_given.empty())
    throw Error("--resume continues " + f.resume + " with the configuration in its checkpoint; drop " +
                f.config_flags_given.front() + " (to change the configuration, start a new run without --resume)");
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

TrainConfig build_config(const TrainFlags& f) {
  const std::string name = f.task.task.empty() ? "max-of-list" : f.task.task;
  TaskConfig probe;
  probe.name = name;
  probe.validate();
  TrainConfig c = default_train_config(name);
  c.task = f.task.apply(c.task);
  auto task = make_task(c.task);
  c.model.d_vocab = task->vocab_size();
  c.model.n_ctx = task->n_ctx();
  if (f.layers) c.model.n_layers = *f.layers;
  if (f.d_model) c.model.d_model = *f.d_model;
  if (f.heads) c.model.n_heads = *f.heads;
  if (f.d_head) {
    c.model.d_head = *f.d_head;
  } else if (f.d_model || f.heads) {
    // d_head follows D / H unless given: the usual convention.
    if (c.model.n_heads < 1 || c.model.d_model % c.model.n_heads != 0) {
      throw Error("--d-model " + std::to_string(c.model.d_model) + " is not divisible by --heads " +
                  std::to_string(c.model.n_heads) + ", so d_head = D / H is undefined: pass --d-head explicitly " +
                  "or pick D divisible by H");
    }
    c.model.d_head = c.model.d_model / c.model.n_heads;
  }
  if (!f.pos.empty()) {
    if (f.pos != "none" && f.pos != "learned")
      throw Error("--pos must be none or learned (got '" + f.pos + "')");
    c.model.pos_embed = f.pos == "learned";
  }
  if (f.biases) c.model.biases = *f.biases;
  if (f.init_std) c.model.init_std = *f.init_std;
  if (f.steps) c.steps = *f.steps;
  if (f.batch) c.batch = *f.batch;
  if (f.lr) c.opt.lr = *f.lr;
  if (f.weight_decay) c.opt.weight_decay = *f.weight_decay;
  if (!f.schedule.empty()) c.schedule = parse_schedule(f.schedule);
  if (f.warmup) c.warmup = *f.warmup;
  if (f.eval_every) c.eval_every = *f.eval_every;
  if (f.eval_size) c.eval_size = *f.eval_size;
  if (f.target_accuracy) c.target_accuracy = *f.target_accuracy;
  c.seed = f.seed;
  c.validate();
  return c;
}

void run(const TrainFlags& f) {
  std::optional<Checkpoint> ck;
  if (!f.resume.empty()) ck = resumable_checkpoint(f);
  if (f.checkpoint_every && *f.checkpoint_every < 0)
    throw Error("--checkpoint-every must be >= 0 (0 turns checkpoints off; got " +
                std::to_string(*f.checkpoint_every) + ")");
  if (f.max_bad_in_a_row < 1)
    throw Error("--max-bad-in-a-row must be at least 1 (got " + std::to_string(f.max_bad_in_a_row) + ")");
  TrainConfig cfg = ck ? ck->config : build_config(f);
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
                      {"task", cfg.task.name},
                      {"config", to_json(cfg.model)},
                      {"parameters", model.params().size()},
                      {"steps", r.steps_done},
                      {"seconds", r.seconds},
                      {"steps_per_second", r.steps_per_second},
                      {"accuracy", r.final_eval.accuracy},
                      {"eos_accuracy", r.final_eval.eos_accuracy},
                      {"n_examples", r.final_eval.n},
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
  f->task.add_to(*sub);
  sub->add_option("--layers", f->layers, "Layers L (default 1)");
  sub->add_option("--d-model", f->d_model, "Residual width D (max-of-list 64, count01 32)");
  sub->add_option("--heads", f->heads, "Heads H (max-of-list 4, count01 16)");
  sub->add_option("--d-head", f->d_head, "Head width E (default D / H)");
  sub->add_option("--pos", f->pos, "Positional embedding: none or learned (max-of-list learned, count01 none)");
  sub->add_option("--biases", f->biases, "Biases b_Q b_K b_V b_O b_U: true or false (default false)");
  sub->add_option("--init-std", f->init_std, "Std of the initial weights (default 0.8/sqrt(D))");
  sub->add_option("--steps", f->steps, "Training steps (max-of-list 20000, count01 3000)");
  sub->add_option("--batch", f->batch, "Batch size (max-of-list 512, count01 256)");
  sub->add_option("--lr", f->lr, "AdamW learning rate (max-of-list 1e-3, count01 3e-3)");
  sub->add_option("--weight-decay", f->weight_decay, "AdamW decoupled weight decay (default 0.01)");
  sub->add_option("--schedule", f->schedule, "Learning-rate schedule: constant or cosine (default cosine)");
  sub->add_option("--warmup", f->warmup, "Linear warmup steps (default 0)");
  sub->add_option("--eval-every", f->eval_every, "Evaluate on the held-out split every N steps");
  sub->add_option("--eval-size", f->eval_size, "Held-out examples per evaluation");
  sub->add_option("--target-accuracy", f->target_accuracy,
                  "Stop once held-out answer and EOS accuracy reach this (e.g. 0.99)");
  sub->add_option("--seed", f->seed, "Seed for initialisation and data (default 1)");
  sub->add_option("--threads", f->threads, "Threads (default: all cores); results do not depend on it");
  sub->add_option("--out", f->out, "Run directory (default runs/TASK-sSEED)");
  sub->add_flag("--quiet", f->quiet, "No progress output");
  sub->add_flag("--json", f->json, "Print the result as JSON (schema: docs/CLI.md)");
  sub->add_option("--checkpoint-every", f->checkpoint_every,
                  "Write OUT/checkpoint.safetensors every N steps (default: every evaluation; 0: never)");
  sub->add_option("--resume", f->resume, "Continue the killed run in DIR from its last checkpoint");
  sub->add_flag("--skip-bad-batches", f->skip_bad_batches,
                "Skip a batch whose loss or gradient is NaN or Inf instead of stopping");
  sub->add_option("--max-bad-in-a-row", f->max_bad_in_a_row,
                  "With --skip-bad-batches: stop after this many bad batches in a row (default 10)");
  sub->callback([f, sub] {
    for (const char* name : kConfigFlags)
      if (sub->count(name) > 0) f->config_flags_given.push_back(name);
    run(*f);
  });
}

}  // namespace hc::cli
