#include "sweep/options.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace hc {

const std::vector<std::string>& train_option_names() {
  static const std::vector<std::string> names = {
      "task",  "list-len", "num-range", "min-len",      "max-len", "noise",  "ties-as-4", "layers",
      "d-model", "heads",  "d-head",    "pos",          "biases",  "init-std", "steps",   "batch",
      "lr",    "weight-decay", "schedule", "warmup",    "eval-every", "eval-size", "target-accuracy", "seed"};
  return names;
}

bool is_train_option(const std::string& name) {
  const auto& n = train_option_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

namespace {

template <class T>
T get(const nlohmann::json& opts, const std::string& key, const std::string& source) {
  try {
    return opts.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(source + ": option '" + key + "' has the wrong type (" + opts.at(key).dump() + ")");
  }
}

}  // namespace

TrainConfig config_from_options(const nlohmann::json& opts, const std::string& source) {
  if (!opts.is_object()) throw Error(source + ": options must be a JSON object");
  for (auto it = opts.begin(); it != opts.end(); ++it) {
    if (!is_train_option(it.key())) {
      std::string known;
      for (const auto& n : train_option_names()) known += " " + n;
      throw Error(source + ": unknown option '" + it.key() + "' (train options are:" + known + ")");
    }
  }
  auto has = [&](const char* k) { return opts.contains(k); };
  const std::string task = has("task") ? get<std::string>(opts, "task", source) : "max-of-list";
  TaskConfig probe;
  probe.name = task;
  probe.validate();
  TrainConfig c = default_train_config(task);
  if (has("list-len")) c.task.list_len = get<int>(opts, "list-len", source);
  if (has("num-range")) c.task.num_range = get<int>(opts, "num-range", source);
  if (has("min-len")) c.task.min_len = get<int>(opts, "min-len", source);
  if (has("max-len")) c.task.max_len = get<int>(opts, "max-len", source);
  if (has("noise")) c.task.noise = get<double>(opts, "noise", source);
  if (has("ties-as-4")) c.task.ties_as_4 = get<bool>(opts, "ties-as-4", source);
  c.task.validate();
  auto t = make_task(c.task);
  c.model.d_vocab = t->vocab_size();
  c.model.n_ctx = t->n_ctx();
  if (has("layers")) c.model.n_layers = get<int>(opts, "layers", source);
  if (has("d-model")) c.model.d_model = get<int>(opts, "d-model", source);
  if (has("heads")) c.model.n_heads = get<int>(opts, "heads", source);
  if (has("d-head")) {
    c.model.d_head = get<int>(opts, "d-head", source);
  } else if (has("d-model") || has("heads")) {
    if (c.model.n_heads < 1 || c.model.d_model % c.model.n_heads != 0)
      throw Error("d-model " + std::to_string(c.model.d_model) + " is not divisible by heads " +
                  std::to_string(c.model.n_heads) + ", so d_head = D / H is undefined: give d-head explicitly " +
                  "or pick D divisible by H");
    c.model.d_head = c.model.d_model / c.model.n_heads;
  }
  if (has("pos")) {
    const auto p = get<std::string>(opts, "pos", source);
    if (p != "none" && p != "learned") throw Error(source + ": pos must be none or learned (got '" + p + "')");
    c.model.pos_embed = p == "learned";
  }
  if (has("biases")) c.model.biases = get<bool>(opts, "biases", source);
  if (has("init-std")) c.model.init_std = get<double>(opts, "init-std", source);
  if (has("steps")) c.steps = get<int64_t>(opts, "steps", source);
  if (has("batch")) c.batch = get<int>(opts, "batch", source);
  if (has("lr")) c.opt.lr = get<double>(opts, "lr", source);
  if (has("weight-decay")) c.opt.weight_decay = get<double>(opts, "weight-decay", source);
  if (has("schedule")) c.schedule = parse_schedule(get<std::string>(opts, "schedule", source));
  if (has("warmup")) c.warmup = get<int64_t>(opts, "warmup", source);
  if (has("eval-every")) c.eval_every = get<int64_t>(opts, "eval-every", source);
  if (has("eval-size")) c.eval_size = get<int>(opts, "eval-size", source);
  if (has("target-accuracy")) c.target_accuracy = get<double>(opts, "target-accuracy", source);
  if (has("seed")) c.seed = get<uint64_t>(opts, "seed", source);
  c.validate();
  return c;
}

}  // namespace hc
