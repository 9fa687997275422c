#pragma once
// The training loop: take a batch per step from (seed, step) (train_data.hpp), forward,
// backward, AdamW; evaluate on the held-out split periodically; write the run
// directory (config.json, train_log.csv, model.safetensors, metrics.json),
// each file atomically.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/config.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/adamw.hpp"
#include "train/evaluate.hpp"

namespace hc {

struct TrainConfig {
  TaskConfig task;
  ModelConfig model;
  int64_t steps = 20000;
  int batch = 512;
  AdamWConfig opt;
  Schedule schedule = Schedule::Cosine;
  int64_t warmup = 0;
  int64_t eval_every = 1000;
  int eval_size = 5000;
  double target_accuracy = 0;  // > 0: stop once held-out answer and EOS accuracy reach it
  int64_t train_size = 0;      // > 0: a fixed training set of this many examples, reshuffled every epoch (train_data.hpp)
  uint64_t seed = 1;

  void validate() const;  // throws hc::Error naming the option and the fix
};

// The recipes of TASKS.md: puzzle 1a for max-of-list, the paper's main
// configuration for count01.
TrainConfig default_train_config(const std::string& task_name);

nlohmann::json to_json(const TrainConfig& c);
TrainConfig train_config_from_json(const nlohmann::json& j, const std::string& source);

struct TrainResult {
  int64_t steps_done = 0;
  int64_t resumed_from = 0;     // the checkpoint's step, 0 for a fresh run
  int64_t skipped_batches = 0;  // bad batches skipped (TrainOptions::skip_bad_batches)
  double seconds = 0;
  double steps_per_second = 0;
  EvalResult final_eval;
  bool reached_target = false;
  // Stopped early by TrainOptions::stop: only the checkpoint was written (no
  // model.safetensors), so the run resumes with --resume.
  bool interrupted = false;
};

struct Checkpoint;

struct TrainOptions {
  int threads = 1;
  bool progress = true;  // bar on a terminal, lines otherwise
  std::string out_dir;   // empty: do not write anything
  // Write out_dir/checkpoint.safetensors every N steps; -1: at every
  // evaluation (cfg.eval_every, the CLI's default); 0: never (the library's
  // default, e.g. for sweeps). A final one marks the run finished.
  int64_t checkpoint_every = 0;
  // Continue from this checkpoint (its config must equal cfg); nullptr: fresh run.
  const Checkpoint* resume = nullptr;
  // Divergence guard: a NaN or Inf in the loss or the gradient stops training
  // with the step, the last good checkpoint and a fix, unless skip_bad_batches
  // is set: then the batch is skipped (no update), up to max_bad_in_a_row
  // consecutive bad batches.
  bool skip_bad_batches = false;
  int max_bad_in_a_row = 10;
  // Fault injection for tests: return true to treat this step's gradient as
  // non-finite. Empty in real runs.
  std::function<bool(int64_t step)> poison_step;
  // Snapshots: after the update of each step in snapshot_steps (counted from
  // 1; cfg.steps is always one), on_snapshot sees the weights. Used to
  // study models across training (headcount reproduce) without writing files.
  std::vector<int64_t> snapshot_steps;
  std::function<void(int64_t step, const Model<float>& model)> on_snapshot;
  // Checked after every step: once true, train() writes a checkpoint (when
  // out_dir is set, whatever checkpoint_every says) and returns with
  // TrainResult::interrupted. Set from a SIGINT handler by `headcount train`.
  const std::atomic<bool>* stop = nullptr;
};

// Trains `model` (initialised by the caller, or taken from opt.resume).
TrainResult train(const TrainConfig& cfg, const TrainOptions& opt, Model<float>& model);

// Writes config.json and model.safetensors (native layout, configs in the
// metadata) for a model into a run directory.
void save_run(const std::string& dir, const TrainConfig& cfg, const Model<float>& model);

}  // namespace hc
