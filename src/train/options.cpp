#include "train/options.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

#include "core/error.hpp"
#include "tasks/registry.hpp"

namespace hc {

namespace {

OptionSpec spec(const char* name, OptionType type, double lo, double hi, const char* help, const char* default_text = "") {
  OptionSpec s;
  s.name = name, s.type = type, s.min = lo, s.max = hi, s.help = help, s.default_text = default_text;
  return s;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
// The largest run TrainConfig::validate() accepts, as a cap for step counts.
constexpr double kMaxSteps = 100000000;

template <class Get, class Set>
TrainOption general(OptionSpec s, Get get, Set set) {
  return TrainOption{std::move(s), {}, get, set};
}

// The tasks' options, one row per name: a name that several tasks declare
// becomes one flag that each of them reads (values are checked against the
// chosen task's own declaration when the task config validates).
void add_task_options(std::vector<TrainOption>& t) {
  const size_t first = t.size();
  for (const TaskEntry& e : registered_tasks()) {
    for (const TaskOption& o : e.options) {
      if (!o.flag) continue;
      auto same = std::find_if(t.begin() + long(first), t.end(),
                               [&](const TrainOption& x) { return x.spec.name == o.spec.name; });
      if (same != t.end()) {
        if (same->spec.type != o.spec.type)
          throw Error("task option --" + o.spec.name + " of " + e.name + " has another type than the " +
                      same->tasks.front() + " option of that name; rename one of them");
        same->tasks.push_back(e.name);
        continue;
      }
      TrainOption opt{o.spec, {e.name}, nullptr, nullptr};
      // Each task's own get/set, by the config's task.
      opt.get = [name = o.spec.name](const TrainConfig& c) {
        for (const TaskOption& x : task_entry(c.task.name).options)
          if (x.spec.name == name) return x.get(c.task);
        return nlohmann::json();
      };
      opt.set = [name = o.spec.name](TrainConfig& c, const nlohmann::json& v) {
        for (const TaskOption& x : task_entry(c.task.name).options)
          if (x.spec.name == name) x.set(c.task, v);
      };
      t.push_back(std::move(opt));
    }
  }
}

std::vector<TrainOption> build_table() {
  std::vector<TrainOption> t;
  // Any name; check_train_value() looks it up among the registered tasks.
  OptionSpec task = spec("task", OptionType::String, 0, 0, "Task");
  task.default_text = registered_tasks().front().name;
  t.push_back(general(
      task, [](const TrainConfig& c) { return nlohmann::json(c.task.name); },
      [](TrainConfig&, const nlohmann::json&) {}));  // build_train_config starts from the task's recipe
  add_task_options(t);
  using J = nlohmann::json;
  t.push_back(general(spec("layers", OptionType::Int, 1, 64, "Layers L"),
                      [](const TrainConfig& c) { return J(c.model.n_layers); },
                      [](TrainConfig& c, const J& v) { c.model.n_layers = v.get<int>(); }));
  t.push_back(general(spec("d-model", OptionType::Int, 1, 65536, "Residual width D"),
                      [](const TrainConfig& c) { return J(c.model.d_model); },
                      [](TrainConfig& c, const J& v) { c.model.d_model = v.get<int>(); }));
  t.push_back(general(spec("heads", OptionType::Int, 1, 1024, "Heads H"),
                      [](const TrainConfig& c) { return J(c.model.n_heads); },
                      [](TrainConfig& c, const J& v) { c.model.n_heads = v.get<int>(); }));
  t.push_back(general(spec("d-head", OptionType::Int, 1, 65536, "Head width E", "D / H"),
                      [](const TrainConfig& c) { return J(c.model.d_head); },
                      [](TrainConfig& c, const J& v) { c.model.d_head = v.get<int>(); }));
  OptionSpec pos = spec("pos", OptionType::String, 0, 0, "Positional embedding: none or learned");
  pos.choices = {"none", "learned"};
  t.push_back(general(pos, [](const TrainConfig& c) { return J(c.model.pos_embed ? "learned" : "none"); },
                      [](TrainConfig& c, const J& v) { c.model.pos_embed = v.get<std::string>() == "learned"; }));
  t.push_back(general(spec("biases", OptionType::Bool, 0, 0, "Biases b_Q b_K b_V b_O b_U (--biases alone: true)"),
                      [](const TrainConfig& c) { return J(c.model.biases); },
                      [](TrainConfig& c, const J& v) { c.model.biases = v.get<bool>(); }));
  // Absence of the option is the default; a given value must be a real std.
  OptionSpec init_std = spec("init-std", OptionType::Float, 0, 100, "Std of the initial weights", "0.8/sqrt(D)");
  init_std.min_open = true;
  t.push_back(general(init_std, [](const TrainConfig& c) { return J(c.model.init_std); },
                      [](TrainConfig& c, const J& v) { c.model.init_std = v.get<double>(); }));
  OptionSpec init = spec("init", OptionType::String, 0, 0,
                         "Initial weights: normal (N(0, --init-std)) or puzzle (the puzzle series' model.py)");
  init.choices = {"normal", "puzzle"};
  t.push_back(general(init, [](const TrainConfig& c) { return J(c.model.init); },
                      [](TrainConfig& c, const J& v) { c.model.init = v.get<std::string>(); }));
  t.push_back(general(spec("steps", OptionType::Int, 1, kMaxSteps, "Training steps"),
                      [](const TrainConfig& c) { return J(c.steps); },
                      [](TrainConfig& c, const J& v) { c.steps = v.get<int64_t>(); }));
  t.push_back(general(spec("batch", OptionType::Int, 1, 1000000, "Batch size"),
                      [](const TrainConfig& c) { return J(c.batch); },
                      [](TrainConfig& c, const J& v) { c.batch = v.get<int>(); }));
  OptionSpec lr = spec("lr", OptionType::Float, 0, kInf, "AdamW learning rate");
  lr.min_open = true;
  t.push_back(general(lr, [](const TrainConfig& c) { return J(c.opt.lr); },
                      [](TrainConfig& c, const J& v) { c.opt.lr = v.get<double>(); }));
  t.push_back(general(spec("weight-decay", OptionType::Float, 0, kInf, "AdamW decoupled weight decay"),
                      [](const TrainConfig& c) { return J(c.opt.weight_decay); },
                      [](TrainConfig& c, const J& v) { c.opt.weight_decay = v.get<double>(); }));
  OptionSpec schedule = spec("schedule", OptionType::String, 0, 0, "Learning-rate schedule: constant or cosine");
  schedule.choices = {"constant", "cosine"};
  t.push_back(general(schedule, [](const TrainConfig& c) { return J(schedule_name(c.schedule)); },
                      [](TrainConfig& c, const J& v) { c.schedule = parse_schedule(v.get<std::string>()); }));
  t.push_back(general(spec("warmup", OptionType::Int, 0, kMaxSteps, "Linear warmup steps"),
                      [](const TrainConfig& c) { return J(c.warmup); },
                      [](TrainConfig& c, const J& v) { c.warmup = v.get<int64_t>(); }));
  t.push_back(general(spec("eval-every", OptionType::Int, 1, kMaxSteps, "Evaluate on the held-out split every N steps"),
                      [](const TrainConfig& c) { return J(c.eval_every); },
                      [](TrainConfig& c, const J& v) { c.eval_every = v.get<int64_t>(); }));
  t.push_back(general(spec("eval-size", OptionType::Int, 1, 1000000, "Held-out examples per evaluation"),
                      [](const TrainConfig& c) { return J(c.eval_size); },
                      [](TrainConfig& c, const J& v) { c.eval_size = v.get<int>(); }));
  t.push_back(general(spec("target-accuracy", OptionType::Float, 0, 1,
                           "Stop once held-out answer and EOS accuracy reach this (e.g. 0.99)", "0: off"),
                      [](const TrainConfig& c) { return J(c.target_accuracy); },
                      [](TrainConfig& c, const J& v) { c.target_accuracy = v.get<double>(); }));
  t.push_back(general(spec("train-size", OptionType::Int, 0, kMaxSteps,
                           "A fixed training set of N examples drawn once from the seed, reshuffled every epoch",
                           "0: fresh examples every step"),
                      [](const TrainConfig& c) { return J(c.train_size); },
                      [](TrainConfig& c, const J& v) { c.train_size = v.get<int64_t>(); }));
  t.push_back(general(spec("seed", OptionType::Seed, 0, 0, "Seed for initialisation and data"),
                      [](const TrainConfig& c) { return J(c.seed); },
                      [](TrainConfig& c, const J& v) { c.seed = v.get<uint64_t>(); }));
  return t;
}

std::string value_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

bool TrainOption::of_task(const std::string& name) const {
  return std::find(tasks.begin(), tasks.end(), name) != tasks.end();
}

const std::vector<TrainOption>& train_options() {
  // Built again when a task registers after the first use (tests add toy
  // tasks); earlier tables stay alive, so references into them stay valid,
  // and sweep jobs may ask from several threads.
  static std::mutex mutex;
  static std::vector<std::unique_ptr<const std::vector<TrainOption>>> tables;
  static size_t tasks_seen = 0;
  std::lock_guard<std::mutex> lock(mutex);
  if (tables.empty() || tasks_seen != registered_tasks().size()) {
    tables.push_back(std::make_unique<const std::vector<TrainOption>>(build_table()));
    tasks_seen = registered_tasks().size();
  }
  return *tables.back();
}

const TrainOption* find_train_option(const std::string& name) {
  const std::string n = canonical_option_name(name);
  for (const auto& o : train_options())
    if (o.spec.name == n) return &o;
  return nullptr;
}

std::vector<std::string> train_option_names() {
  std::vector<std::string> out;
  for (const auto& o : train_options()) out.push_back(o.spec.name);
  return out;
}

const TrainOption& train_option(const std::string& name, const std::string& source) {
  if (const TrainOption* o = find_train_option(name)) return *o;
  std::string known;
  for (const auto& n : train_option_names()) known += " " + n;
  throw Error(source + ": unknown option '" + name + "'" + did_you_mean(name, train_option_names()) +
              " (train options are:" + known + ")");
}

nlohmann::json check_train_value(const TrainOption& o, const nlohmann::json& v) {
  nlohmann::json out = check_value(o.spec, v);
  if (o.spec.name == "task") task_entry(out.get<std::string>());  // "unknown task 'x' (use ...)"
  return out;
}

std::string option_help(const TrainOption& o) {
  std::string defaults = o.spec.default_text;
  if (defaults.empty()) {
    std::vector<std::pair<std::string, std::string>> per_task;
    for (const auto& name : task_names()) {
      if (!o.tasks.empty() && !o.of_task(name)) continue;
      per_task.emplace_back(name, value_text(o.get(default_train_config(name))));
    }
    const bool same = std::all_of(per_task.begin(), per_task.end(),
                                  [&](const auto& p) { return p.second == per_task.front().second; });
    if (same && !per_task.empty()) {
      defaults = per_task.front().second;
    } else {
      for (const auto& [task, value] : per_task) defaults += (defaults.empty() ? "" : ", ") + task + " " + value;
    }
  }
  std::string help = o.spec.help;
  if (o.spec.name == "task") {
    const auto names = task_names();
    help += ":";
    for (size_t i = 0; i < names.size(); ++i) help += (i == 0 ? " " : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  const bool per_task = defaults.find(", ") != std::string::npos;
  return help + " (" + (per_task ? "" : "default ") + defaults + ")";
}

TaskConfig apply_task_options(TaskConfig base, const OptionValues& values, const BuildRules& rules) {
  const std::string p = rules.command_line ? "--" : "";
  if (auto it = values.find("task"); it != values.end()) {
    const std::string name = it->second.get<std::string>();
    if (name != base.name) base = default_task_config(name);
  }
  const TaskEntry& entry = task_entry(base.name);
  for (const auto& [name, value] : values) {
    const TrainOption* o = find_train_option(name);
    if (!o || o->tasks.empty()) continue;
    if (!o->of_task(base.name)) {
      if (!rules.refuse_other_task_options) continue;
      std::string owners;
      for (size_t i = 0; i < o->tasks.size(); ++i)
        owners += (i ? i + 1 == o->tasks.size() ? " or " : ", " : "") + o->tasks[i];
      throw Error(p + name + " is a " + owners + " option, but the task is " + base.name + ": drop " + p + name +
                  " or use " + p + "task " + o->tasks.front());
    }
    for (const auto& t : entry.options)
      if (t.spec.name == name) t.set(base, value);
  }
  base.validate();
  return base;
}

TrainConfig build_train_config(const OptionValues& values, const BuildRules& rules) {
  const std::string p = rules.command_line ? "--" : "";
  const auto has = [&](const char* k) { return values.count(k) > 0; };
  const std::string task = has("task") ? values.at("task").get<std::string>() : registered_tasks().front().name;
  TrainConfig c = default_train_config(task);
  c.task = apply_task_options(c.task, values, rules);
  auto t = make_task(c.task);
  c.model.d_vocab = t->vocab_size();
  c.model.n_ctx = t->n_ctx();
  for (const auto& o : train_options()) {
    if (!o.tasks.empty() || o.spec.name == "task") continue;
    if (auto it = values.find(o.spec.name); it != values.end()) o.set(c, it->second);
  }
  if (!has("d-head") && (has("d-model") || has("heads"))) {
    // d_head follows D / H unless given: the usual convention.
    if (c.model.n_heads < 1 || c.model.d_model % c.model.n_heads != 0)
      throw Error(p + "d-model " + std::to_string(c.model.d_model) + " is not divisible by " + p + "heads " +
                  std::to_string(c.model.n_heads) + ", so d_head = D / H is undefined: " +
                  (rules.command_line ? "pass --d-head explicitly" : "give d-head explicitly") +
                  " or pick D divisible by H");
    c.model.d_head = c.model.d_model / c.model.n_heads;
  }
  c.validate();
  return c;
}

}  // namespace hc
