#pragma once
// Tasks by name. Each task declares its options (name, type, default, range,
// help) in its own file and registers with one call; everything generic (the
// command-line flags, sweep specs, config.json, make_task) iterates the
// declarations and never names a task's fields.
//
//   register_task("count01", count01_options(), make_count01_task);
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/options.hpp"
#include "tasks/task.hpp"

namespace hc {

// One task option. `get` and `set` move its value between the JSON form and
// the task's configuration; they are written in the task's own file.
struct TaskOption {
  OptionSpec spec;                 // spec.name: "list-len"; config.json key: spec.key()
  nlohmann::json default_value;
  bool flag = true;                // false: config files only (no command-line flag, no sweep option)
  std::function<nlohmann::json(const TaskConfig&)> get;
  std::function<void(TaskConfig&, const nlohmann::json&)> set;
};

// A task option's spec: name, type, range, help, and the note a range error adds.
inline OptionSpec option_spec(const char* name, OptionType type, double lo, double hi, const char* help,
                              const char* note = "") {
  OptionSpec s;
  s.name = name, s.type = type, s.min = lo, s.max = hi, s.help = help, s.note = note;
  return s;
}

// An option stored in a field of TaskConfig, for a task's declarations.
template <class T>
TaskOption field_option(OptionSpec spec, T TaskConfig::*field, T default_value, bool flag = true) {
  TaskOption o;
  o.spec = std::move(spec);
  o.default_value = default_value;
  o.flag = flag;
  o.get = [field](const TaskConfig& c) { return nlohmann::json(c.*field); };
  o.set = [field](TaskConfig& c, const nlohmann::json& v) { c.*field = v.get<T>(); };
  return o;
}

using TaskFactory = std::function<std::unique_ptr<Task>(const TaskConfig&)>;
// Checks that span options (e.g. min-len <= max-len); throws hc::Error.
using TaskCheck = std::function<void(const TaskConfig&)>;

struct TaskEntry {
  std::string name;
  std::vector<TaskOption> options;
  TaskFactory factory;
  TaskCheck check;
};

// Adds a task; a name registered twice is an error.
void register_task(const std::string& name, std::vector<TaskOption> options, TaskFactory factory,
                   TaskCheck check = {});

// Registered tasks in registration order (the built-in ones first).
const std::vector<TaskEntry>& registered_tasks();
std::vector<std::string> task_names();
// nullptr when no task has that name.
const TaskEntry* find_task(const std::string& name);
// The entry, or hc::Error "unknown task 'x' (use max-of-list, count01 or file)".
const TaskEntry& task_entry(const std::string& name);

// A config of `name` holding every declared default.
TaskConfig default_task_config(const std::string& name);

}  // namespace hc
