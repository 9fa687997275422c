#pragma once
// The training loop: sample a batch per step from (seed, step), forward,
// backward, AdamW; evaluate on the held-out split periodically; write the run
// directory (config.json, train_log.csv, model.safetensors, metrics.json),
// each file atomically.
#include <cstdint>
#include <functional>
#include <string>

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
  double seconds = 0;
  double steps_per_second = 0;
  EvalResult final_eval;
  bool reached_target = false;
};

struct TrainOptions {
  int threads = 1;
  bool progress = true;  // bar on a terminal, lines otherwise
  std::string out_dir;   // empty: do not write anything
};

TrainResult train(const TrainConfig& cfg, const TrainOptions& opt, Model<float>& model);

// Writes config.json and model.safetensors (native layout, configs in the
// metadata) for a model into a run directory.
void save_run(const std::string& dir, const TrainConfig& cfg, const Model<float>& model);

}  // namespace hc
