#include "tasks/registry.hpp"

#include "core/error.hpp"

namespace hc {

// Each task's declarations, in its own file.
std::vector<TaskOption> max_of_list_options();
std::unique_ptr<Task> make_max_of_list_task(const TaskConfig& c);
std::vector<TaskOption> count01_options();
std::unique_ptr<Task> make_count01_task(const TaskConfig& c);
void check_count01_config(const TaskConfig& c);
std::vector<TaskOption> file_task_options();
std::unique_ptr<Task> make_file_task(const TaskConfig& c);
void check_file_task_config(const TaskConfig& c);
std::vector<TaskOption> max_of_list_digits_options();
std::unique_ptr<Task> make_max_of_list_digits_task(const TaskConfig& c);
std::vector<TaskOption> count_unique_options();
std::unique_ptr<Task> make_count_unique_task(const TaskConfig& c);

namespace {

std::vector<TaskEntry>& entries() {
  static std::vector<TaskEntry> all;
  return all;
}

void add(const std::string& name, std::vector<TaskOption> options, TaskFactory factory, TaskCheck check) {
  for (const auto& e : entries())
    if (e.name == name) throw Error("task '" + name + "' is registered twice");
  if (name.empty() || !factory) throw Error("register_task needs a name and a factory");
  entries().push_back({name, std::move(options), std::move(factory), std::move(check)});
}

// The built-in tasks, one line each; the first is the default task.
void register_builtin_tasks() {
  add("max-of-list", max_of_list_options(), make_max_of_list_task, {});
  add("count01", count01_options(), make_count01_task, check_count01_config);
  add("max-of-list-digits", max_of_list_digits_options(), make_max_of_list_digits_task, {});
  add("count-unique", count_unique_options(), make_count_unique_task, {});
  add("file", file_task_options(), make_file_task, check_file_task_config);
}

std::vector<TaskEntry>& task_registry() {
  static const bool once = (register_builtin_tasks(), true);
  (void)once;
  return entries();
}

}  // namespace

void register_task(const std::string& name, std::vector<TaskOption> options, TaskFactory factory, TaskCheck check) {
  task_registry();  // the built-in tasks first
  add(name, std::move(options), std::move(factory), std::move(check));
}

const std::vector<TaskEntry>& registered_tasks() { return task_registry(); }

std::vector<std::string> task_names() {
  std::vector<std::string> out;
  for (const auto& e : task_registry()) out.push_back(e.name);
  return out;
}

const TaskEntry* find_task(const std::string& name) {
  for (const auto& e : task_registry())
    if (e.name == name) return &e;
  return nullptr;
}

const TaskEntry& task_entry(const std::string& name) {
  if (const TaskEntry* e = find_task(name)) return *e;
  std::string list;
  const auto names = task_names();
  for (size_t i = 0; i < names.size(); ++i)
    list += (i ? i + 1 == names.size() ? " or " : ", " : "") + names[i];
  throw Error("unknown task '" + name + "' (use " + list + ")");
}

TaskConfig default_task_config(const std::string& name) {
  const TaskEntry& e = task_entry(name);
  TaskConfig c;
  c.name = name;
  for (const auto& o : e.options) o.set(c, o.default_value);
  return c;
}

}  // namespace hc
