// headcount train: train one model and write its run directory.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "core/atomic_file.hpp"
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
  bool force = false;  // replace an existing --out whole
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

// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
constexpr int kInterruptedExit = 130;

// Ctrl-C sets the flag the training loop checks; a second Ctrl-C kills (SA_RESETHAND).
std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop.store(true); }

struct SigintGuard {
  struct sigaction old {};
  SigintGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old);
  }
  ~SigintGuard() { sigaction(SIGINT, &old, nullptr); }
};

// A path as a shell word, for commands we print.
std::string shell_word(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-+=:,@") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// An existing --out is never replaced silently: an unfinished run names
// --resume, anything else names --force.
void check_out_dir(const std::string& out, bool is_default, const TrainConfig& cfg, bool force) {
  if (output_dir_state(out, "--out") != DirState::Filled || force) return;
  const std::string ck = checkpoint_path(out);
  std::error_code ec;
  const bool has_model = std::filesystem::exists(std::filesystem::path(out) / "model.safetensors", ec);
  if (!has_model && std::filesystem::is_regular_file(ck, ec)) {
    std::string at;
    try {
      const Checkpoint c = load_checkpoint(ck);
      at = " (stopped at step " + std::to_string(c.step) + " of " + std::to_string(c.config.steps) + ")";
    } catch (const Error&) {
    }
    throw Error(out + " holds an unfinished run" + at + ": continue it with 'headcount train --resume " +
                shell_word(out) + "', or pass --force to replace it with a new run");
  }
  const std::string which = is_default ? out + " (the default --out for task " + cfg.task.name + ", seed " +
                                             std::to_string(cfg.seed) + ")"
                                       : "--out " + out;
  throw Error(which + " already holds " + (has_model ? "a run" : "files") +
              "; pass --force to replace it whole, or choose another --out");
}

int run(const TrainFlags& f) {
  std::optional<Checkpoint> ck;
  if (!f.resume.empty()) ck = resumable_checkpoint(f);
  if (ck && f.force) throw Error("--resume continues " + f.resume + " in place; drop --force");
  TrainConfig cfg = ck ? ck->config : build_train_config(f.given);
  TrainOptions opt;
  opt.threads = f.threads > 0 ? f.threads : default_threads();
  opt.progress = !f.quiet;
  const std::string out = ck ? f.resume : f.out.empty() ? "runs/" + cfg.task.name + "-s" + std::to_string(cfg.seed) : f.out;
  std::optional<StagedDir> staged;  // --force over an existing run: built beside it, swapped in at the end
  if (!ck) {
    check_out_dir(out, f.out.empty(), cfg, f.force);
    if (f.force && output_dir_state(out, "--out") == DirState::Filled) staged.emplace(out);
  }
  opt.out_dir = staged ? staged->path() : out;
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
    std::fprintf(stderr, "training %s: L%d D%d H%d E%d V%d T%d, pos %s, biases %s, %zu parameters, %lld steps of %d, %d thread%s -> %s\n",
                 cfg.task.name.c_str(), cfg.model.n_layers, cfg.model.d_model, cfg.model.n_heads, cfg.model.d_head,
                 cfg.model.d_vocab, cfg.model.n_ctx, cfg.model.pos_embed ? "learned" : "none",
                 cfg.model.biases ? "on" : "off", model.params().size(), (long long)cfg.steps, cfg.batch, opt.threads, opt.threads == 1 ? "" : "s",
                 out.c_str());
    // Tasks whose splits are small or uneven say what each holds (count-unique).
    for (const auto& line : make_task(cfg.task)->split_sizes()) std::fprintf(stderr, "split: %s\n", line.c_str());
    if (staged)
      std::fprintf(stderr, "--force: building the new run in %s; it replaces %s when it stops\n", staged->path().c_str(),
                   out.c_str());
  }
  g_stop.store(false);
  opt.stop = &g_stop;
  TrainResult r;
  {
    SigintGuard guard;
    try {
      r = train(cfg, opt, model);
    } catch (const Error& e) {
      if (!staged) throw;
      // A forced run that left a checkpoint takes the old run's place, as an
      // unforced one would; one that left nothing leaves the old run as it was.
      std::error_code ec;
      if (!std::filesystem::exists(checkpoint_path(staged->path()), ec))
        throw Error(std::string(e.what()) + " (the existing run in " + out + " is untouched)");
      std::string msg = e.what();
      for (size_t p; (p = msg.find(staged->path())) != std::string::npos;) msg.replace(p, staged->path().size(), out);
      staged->commit();
      throw Error(msg);
    }
  }
  if (staged) {
    std::error_code ec;
    // Stopped before anything resumable was written: the old run stays (the
    // staging directory goes with `staged`).
    if (r.interrupted && !std::filesystem::exists(checkpoint_path(staged->path()), ec)) {
      std::fprintf(stderr, "interrupted at step %lld of %lld before a checkpoint could be written; the existing run in %s is untouched\n",
                   (long long)r.steps_done, (long long)cfg.steps, out.c_str());
      return kInterruptedExit;
    }
    staged->commit();
  }
  if (r.interrupted) {
    const std::string ck_file = checkpoint_path(out);
    std::error_code ec;
    const bool resumable = std::filesystem::is_regular_file(ck_file, ec);
    if (resumable) {
      const Checkpoint saved = load_checkpoint(ck_file);
      std::fprintf(stderr,
                   "interrupted at step %lld of %lld; the checkpoint (step %lld) is %s\n"
                   "resume with: headcount train --resume %s\n",
                   (long long)r.steps_done, (long long)cfg.steps, (long long)saved.step, ck_file.c_str(),
                   shell_word(out).c_str());
    } else {
      std::fprintf(stderr, "interrupted at step %lld of %lld; no checkpoint could be written (the weights were not finite), nothing to resume\n",
                   (long long)r.steps_done, (long long)cfg.steps);
    }
    if (f.json)
      std::cout << nlohmann::json({{"out", out},
                                   {"task", cfg.task.name},
                                   {"config", to_json(cfg.model)},
                                   {"interrupted", true},
                                   {"steps", r.steps_done},
                                   {"checkpoint", resumable ? nlohmann::json(ck_file) : nlohmann::json(nullptr)},
                                   {"resume", resumable ? nlohmann::json("headcount train --resume " + shell_word(out))
                                                        : nlohmann::json(nullptr)}})
                       .dump(2)
                << "\n";
    return kInterruptedExit;
  }
  nlohmann::json j = {{"out", out},
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
  if (!r.final_eval.parts.empty()) j["accuracy_parts"] = parts_json(r.final_eval.parts);
  if (f.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    // After a resume, the steps and the rate are this invocation's.
    std::string steps = std::to_string(r.steps_done);
    if (r.resumed_from > 0)
      steps = std::to_string(r.steps_done - r.resumed_from) + " of " + std::to_string(r.steps_done) +
              " in this run (resumed at step " + std::to_string(r.resumed_from) + "),";
    else
      steps += " in";
    const EvalResult& e = r.final_eval;
    std::printf("parameters: %zu\nsteps: %s %.1f s (%.0f steps/s)\n", model.params().size(), steps.c_str(), r.seconds,
                r.steps_per_second);
    if (e.has_eos)
      std::printf("held-out accuracy: %.2f%% (EOS %.2f%%) on %d examples\n", 100 * e.accuracy, 100 * e.eos_accuracy, e.n);
    else
      std::printf("held-out accuracy: %.2f%% on %d examples\n", 100 * e.accuracy, e.n);
    for (const auto& p : e.parts)
      std::printf("  %-12s %.2f%% (%lld / %lld)\n", p.key.c_str(), 100 * p.accuracy(), (long long)p.correct,
                  (long long)p.n);
    std::printf("run directory: %s\n", out.c_str());
  }
  return 0;
}

}  // namespace

void register_train(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* sub = app.add_subcommand("train", "Train a model and write a run directory");
  for (const auto& o : train_options()) f->options.emplace_back(&o, add_train_option(*sub, o));
  add_checked_option(*sub, "--threads", f->threads, 0, 1024,
                     "Threads (default: the idle cores, by load average); results do not depend on it");
  sub->add_option("--out", f->out, "Run directory (default runs/TASK-sSEED)");
  sub->add_flag("--force", f->force,
                "Replace an existing --out whole (the new run is built beside it and swapped in when it stops)");
  sub->add_flag("--quiet", f->quiet, "No progress output");
  sub->add_flag("--json", f->json, "Print the result as JSON (schema: docs/CLI.md)");
  add_checked_option(*sub, "--checkpoint-every", f->checkpoint_every, 0, 100000000,
                     "Write OUT/checkpoint.safetensors every N steps (default: every evaluation; 0: never)");
  sub->add_option("--resume", f->resume, "Continue the killed run in DIR from its last checkpoint");
  sub->add_flag("--skip-bad-batches", f->skip_bad_batches,
                "Skip a batch whose loss or gradient is NaN or Inf instead of stopping");
  add_checked_option(*sub, "--max-bad-in-a-row", f->max_bad_in_a_row, 1, 100000000,
                     "With --skip-bad-batches: stop after this many bad batches in a row (default 10)");
  sub->callback([f] {
    f->given = given_options(f->options);
    // Everything run() holds is released before an interrupted run exits with its own code.
    if (const int code = run(*f)) std::exit(code);
  });
}

}  // namespace hc::cli
