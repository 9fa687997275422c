#pragma once
// What the subcommands share: task options, and loading a model from a run
// directory or a weights file.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/trainer.hpp"

namespace hc::cli {

// Task options as flags; only the ones the user set override a base config.
struct TaskFlags {
  std::string task;
  std::optional<int> list_len, num_range, min_len, max_len;
  std::optional<double> noise;
  bool ties_as_4 = false;
  void add_to(CLI::App& app);
  bool any_set() const;
  TaskConfig apply(TaskConfig base) const;
};

struct LoadFlags {
  std::string path;    // run directory, puzzle checkpoint folder or weights file (.safetensors, .pt)
  std::string layout;  // native | transformer-lens | puzzle | "" (detect)
  TaskFlags task;
  void add_to(CLI::App& app);
};

struct LoadedModel {
  TrainConfig config;  // task and model; training fields are defaults for imports
  std::unique_ptr<Task> task;
  std::unique_ptr<Model<float>> model;
  std::string source;                 // what was loaded, for messages
  std::vector<std::string> notes;     // e.g. "pos_embed.W_pos is all zeros ..."
  bool from_run_dir = false;
};

LoadedModel load_model(const LoadFlags& f);
// A puzzle checkpoint folder (model.pt + config.json); load_model calls it for such folders.
LoadedModel load_puzzle_dir(const LoadFlags& f);

// The evaluation set: --eval-set FILE, or a generated held-out set.
Dataset eval_dataset(const Task& task, const std::string& eval_set, int n, uint64_t seed);

int default_threads();

void register_train(CLI::App& app);
void register_eval(CLI::App& app);
void register_inspect(CLI::App& app);
void register_import(CLI::App& app);
void register_data(CLI::App& app);
void register_sweep(CLI::App& app);
void register_analyze(CLI::App& app);
void register_reproduce(CLI::App& app);

}  // namespace hc::cli
