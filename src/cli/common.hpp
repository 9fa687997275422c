#pragma once
// What the subcommands share: task options, and loading a model from a run
// directory or a weights file.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/options.hpp"
#include "train/trainer.hpp"

namespace hc::cli {

// A training option (train/options.hpp) as a flag: `--name VALUE`; a boolean
// also alone (`--biases` means true).
CLI::Option* add_train_option(CLI::App& app, const TrainOption& o);
// Every option of `opts` the user gave, checked against the option table.
OptionValues given_options(const std::vector<std::pair<const TrainOption*, CLI::Option*>>& opts);

// A numeric flag of a command (not a training option), read whole and
// range-checked like the table's options: "--n must be an integer between 1
// and 1000000 (got 100000000)". The type follows T (uint64_t: a seed).
template <class T>
struct checked_value { using type = T; };
template <class T>
struct checked_value<std::optional<T>> { using type = T; };

template <class T>
CLI::Option* add_checked_option(CLI::App& app, const std::string& flag, T& target, double lo, double hi,
                                const std::string& help) {
  using V = typename checked_value<T>::type;
  OptionSpec s;
  s.name = canonical_option_name(flag);
  s.type = std::is_same_v<V, uint64_t> ? OptionType::Seed
           : std::is_integral_v<V>     ? OptionType::Int
                                       : OptionType::Float;
  s.min = lo, s.max = hi;
  return app
      .add_option_function<std::string>(
          flag, [&target, s](const std::string& text) { target = parse_text(s, text).get<V>(); }, help)
      ->type_name(s.type == OptionType::Seed ? "UINT" : s.type == OptionType::Int ? "INT" : "FLOAT");
}

// A seed flag: 0 .. 2^64-1.
inline CLI::Option* add_seed_option(CLI::App& app, uint64_t& target, const std::string& help) {
  return add_checked_option(app, "--seed", target, 0, 0, help);
}

// Task options as flags (--task and each registered task's options); only
// the ones the user set override a base config.
struct TaskFlags {
  std::vector<std::pair<const TrainOption*, CLI::Option*>> options;
  void add_to(CLI::App& app);
  OptionValues values() const;  // after parsing
  bool any_set() const;
  std::string task() const;  // --task, or "" when not given
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
