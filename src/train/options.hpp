#pragma once
// The one table of training options: `headcount train` flags, the task flags
// of eval/inspect/data/analyze, sweep specs and --resume all come from it.
// An option is named with dashes on the command line ("--d-model"), with
// dashes or underscores in a sweep spec ("d-model", "d_model"), and with
// underscores in results tables. Task options come from the registered tasks'
// declarations (tasks/registry.hpp), so a new task's options appear here
// without an edit.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/options.hpp"
#include "train/trainer.hpp"

namespace hc {

struct TrainOption {
  OptionSpec spec;
  // Empty for every task; else the tasks that declare it, in registration
  // order (several tasks may share a name, e.g. --list-len: each declares
  // it with the same type, and its own range and default).
  std::vector<std::string> tasks;
  bool of_task(const std::string& name) const;
  // The value in a config, so that help can show each task's default.
  std::function<nlohmann::json(const TrainConfig&)> get;
  // Stores a checked value.
  std::function<void(TrainConfig&, const nlohmann::json&)> set;
};

// task, the task options (registration order), model, training, seed.
const std::vector<TrainOption>& train_options();
// By name in either spelling ("d_model", "d-model", "--d-model"); nullptr if none.
const TrainOption* find_train_option(const std::string& name);
std::vector<std::string> train_option_names();
// The option, or hc::Error "unknown option 'x' (did you mean 'y'?) ...".
const TrainOption& train_option(const std::string& name, const std::string& source);

// check_value(), and for "task" a registered task's name.
nlohmann::json check_train_value(const TrainOption& o, const nlohmann::json& v);

// The help line of an option: its help, then each task's default
// ("max-of-list 64, count01 32") or the one default.
std::string option_help(const TrainOption& o);

// Values by canonical name ("d-model"), each already checked with check_value().
using OptionValues = std::map<std::string, nlohmann::json>;

struct BuildRules {
  // Flags (true) or sweep options (false): how messages spell names.
  bool command_line = true;
  // An option of another task than the chosen one: an error (command line),
  // or ignored (sweep grids that cross tasks with one task's options).
  bool refuse_other_task_options = true;
};

// The configuration of `task`'s recipe (default_train_config) with the given
// options applied, d_head = D / H unless given, then TrainConfig::validate().
TrainConfig build_train_config(const OptionValues& values, const BuildRules& rules = {});

// Applies the task options among `values` to a task config (switching task
// resets the others to that task's defaults); used by eval/inspect/... flags.
TaskConfig apply_task_options(TaskConfig base, const OptionValues& values, const BuildRules& rules = {});

}  // namespace hc
