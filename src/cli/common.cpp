#include "cli/common.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/layouts.hpp"
#include "io/puzzle_checkpoint.hpp"
#include "io/weights_file.hpp"
#include "tasks/registry.hpp"
#include "train/checkpoint.hpp"

namespace hc::cli {

namespace fs = std::filesystem;

namespace {

// A run stopped by Ctrl-C or a kill has its checkpoint but no model yet: say
// so and how to finish it, rather than "not a run directory".
void unfinished_run_check(const std::string& dir) {
  const std::string ck = checkpoint_path(dir);
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "model.safetensors", ec) || !fs::is_regular_file(ck, ec)) return;
  std::string at;
  try {
    const Checkpoint c = load_checkpoint(ck);
    at = " (stopped at step " + std::to_string(c.step) + " of " + std::to_string(c.config.steps) + ")";
  } catch (const Error&) {
  }
  throw Error("'" + dir + "' holds an unfinished run" + at + ": finish it with 'headcount train --resume " + dir +
              "', or give its checkpoint " + ck + " to use the weights as they are");
}

}  // namespace

int default_threads() {
  // The cores no other process is using, by the 1-minute load average: a
  // thread on a busy core waits at every barrier of the batch's chunks, and
  // measured on a loaded 2-core machine 2 threads were slower than 1
  // (docs/PERFORMANCE.md, "Thread default"). Results do not depend on it.
  const int cores = std::max(1, omp_get_num_procs());
  double load = 0;
  if (getloadavg(&load, 1) != 1) return cores;
  return std::clamp(int(std::lround(double(cores) - load)), 1, cores);
}

CLI::Option* add_train_option(CLI::App& app, const TrainOption& o) {
  static const char* const kTypeNames[] = {"INT", "FLOAT", "[BOOLEAN]", "TEXT", "UINT"};
  const std::string help = option_help(o);  // add_option(name, const string&) is the description
  CLI::Option* opt = app.add_option(o.spec.flag(), help)->type_name(kTypeNames[int(o.spec.type)]);
  if (o.spec.type == OptionType::Bool) opt->expected(0, 1);
  return opt;
}

OptionValues given_options(const std::vector<std::pair<const TrainOption*, CLI::Option*>>& opts) {
  OptionValues out;
  for (const auto& [o, cli] : opts) {
    if (cli->count() == 0) continue;
    const auto& r = cli->results();
    const std::string text = r.empty() ? "" : r.back();
    // A boolean flag given alone means true.
    const nlohmann::json v = o->spec.type == OptionType::Bool && text.empty() ? nlohmann::json(true)
                                                                              : parse_text(o->spec, text);
    out[o->spec.name] = check_train_value(*o, v);
  }
  return out;
}

void TaskFlags::add_to(CLI::App& app) {
  // A command's own flag of the same name wins over a task option (eval's
  // --eval-set and the file task's): commands add theirs first.
  for (const auto& o : train_options())
    if ((o.spec.name == "task" || !o.tasks.empty()) && !app.get_option_no_throw(o.spec.flag()))
      options.emplace_back(&o, add_train_option(app, o));
}

OptionValues TaskFlags::values() const { return given_options(options); }

bool TaskFlags::any_set() const {
  for (const auto& [o, cli] : options)
    if (cli->count() > 0) return true;
  return false;
}

std::string TaskFlags::task() const {
  const OptionValues v = values();
  auto it = v.find("task");
  return it == v.end() ? "" : it->second.get<std::string>();
}

TaskConfig TaskFlags::apply(TaskConfig c) const { return apply_task_options(std::move(c), values()); }

void LoadFlags::add_to(CLI::App& app) {
  app.add_option("model", path,
                 "A run directory (from train or import), a puzzle checkpoint folder (model.pt + config.json), "
                 "or a .safetensors or .pt (torch.save state dict) weights file")
      ->required();
  app.add_option("--layout", layout, "Weights layout: native, transformer-lens or puzzle (default: detected)");
  task.add_to(app);
}

namespace {

// Loads weights for `task`; when task flags changed the task the weights came
// with (`base`) and the weights do not fit, the error names those flags, not
// the task.
LoadedWeights load_for_task(const std::function<LoadedWeights()>& load, const TaskFlags& flags,
                            const std::optional<TaskConfig>& base, const std::string& where) {
  try {
    return load();
  } catch (const Error& e) {
    if (!base || !flags.any_set()) throw;
    std::string given, was;
    const nlohmann::json before = to_json(*base);
    for (const auto& [name, value] : flags.values()) {
      const TrainOption* o = find_train_option(name);
      const std::string key = name == "task" ? "name" : o->spec.key();
      const nlohmann::json old = before.contains(key) ? before[key] : nlohmann::json();
      if (old == value) continue;
      given += (given.empty() ? "" : " ") + o->spec.flag() + " " + (value.is_string() ? value.get<std::string>() : value.dump());
      if (!old.is_null()) was += (was.empty() ? "" : ", ") + key + " " + (old.is_string() ? old.get<std::string>() : old.dump());
    }
    if (given.empty()) throw;
    std::string reason = e.what();
    if (size_t cut = reason.find("; pass the --task"); cut != std::string::npos) reason.resize(cut);
    throw Error(given + " conflicts with the model in " + where + (was.empty() ? "" : " (trained with " + was + ")") +
                ": " + reason + ". Drop " + given.substr(0, given.find(' ')) +
                " to use the model's own task settings, or load a model trained with them");
  }
}

}  // namespace

LoadedModel load_model(const LoadFlags& f) {
  LoadedModel out;
  std::optional<TaskConfig> run_task;  // a run directory's own task, before any flag
  std::optional<Layout> layout;
  if (!f.layout.empty()) layout = parse_layout(f.layout);
  std::string weights = f.path;
  std::error_code ec;
  if (!fs::exists(f.path, ec)) {
    throw Error("'" + f.path + "' does not exist (give a run directory, a puzzle checkpoint folder, or a .safetensors or .pt file)");
  }
  if (is_puzzle_checkpoint(f.path)) return load_puzzle_dir(f);
  if (fs::is_directory(f.path, ec)) {
    const std::string cfg_path = (fs::path(f.path) / "config.json").string();
    weights = (fs::path(f.path) / "model.safetensors").string();
    if (!fs::exists(cfg_path) || !fs::exists(weights)) {
      unfinished_run_check(f.path);
      throw Error("'" + f.path + "' is not a run directory: it needs config.json and model.safetensors " +
                  "(or, as a puzzle checkpoint folder, config.json and model.pt; make a run directory with 'headcount train' or 'headcount import')");
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(cfg_path));
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(cfg_path + ": not valid JSON: " + e.what());
    }
    out.config = train_config_from_json(j, cfg_path);
    run_task = out.config.task;
    if (f.task.any_set()) out.config.task = f.task.apply(out.config.task);
    out.from_run_dir = true;
    if (!layout) layout = Layout::Native;
  } else {
    st::File file = read_weights_file(weights);
    TaskConfig tc;
    auto meta = file.metadata.find("headcount.task_config");
    if (meta != file.metadata.end()) {
      try {
        tc = task_config_from_json(nlohmann::json::parse(meta->second), weights + " (metadata)");
      } catch (const nlohmann::json::parse_error& e) {
        throw Error(weights + ": the metadata entry headcount.task_config is not valid JSON");
      }
    }
    // A puzzle trainer's config.json beside the weights says the task (and the layout).
    std::optional<PuzzleCheckpoint> pc;
    if (meta == file.metadata.end())
      if (auto cfg = puzzle_config_beside(weights)) {
        pc = read_puzzle_config(*cfg, weights);
        if (pc->task) tc = *pc->task;
        else if (f.task.task().empty()) throw Error(pc->missing_task + "; pass --task if the weights fit another task");
        out.notes = pc->notes;
      }
    if (meta == file.metadata.end() && !(pc && pc->task) && f.task.task().empty()) {
      std::string tasks;
      const auto names = task_names();
      for (size_t i = 0; i < names.size(); ++i)
        tasks += std::string(i ? i + 1 == names.size() ? " or " : ", " : "") + "--task " + names[i];
      throw Error("'" + weights + "' does not say which task it was trained on: pass " + tasks);
    }
    if (pc && !layout) layout = Layout::Puzzle;
    out.config.task = f.task.apply(tc);
    auto task = make_task(out.config.task);
    LoadedWeights lw = load_for_task(
        [&] { return load_weights(file, layout, ModelHints{task->n_ctx(), task->vocab_size(), task->name()}); },
        f.task, meta != file.metadata.end() ? std::optional<TaskConfig>(tc) : std::nullopt, weights);
    if (pc && lw.layout == Layout::Puzzle) check_puzzle_config(*pc, lw.config);
    out.config.model = lw.config;
    out.notes.insert(out.notes.end(), lw.notes.begin(), lw.notes.end());
    out.task = std::move(task);
    out.model = std::make_unique<Model<float>>(lw.config);
    out.model->params() = std::move(lw.params);
    out.source = weights;
    return out;
  }
  out.task = make_task(out.config.task);
  LoadedWeights lw = load_for_task(
      [&] {
        return load_weights(weights, layout, ModelHints{out.task->n_ctx(), out.task->vocab_size(), out.task->name()});
      },
      f.task, run_task, f.path);
  out.config.model = lw.config;
  out.notes = lw.notes;
  out.model = std::make_unique<Model<float>>(lw.config);
  out.model->params() = std::move(lw.params);
  out.source = f.path;
  return out;
}

Dataset eval_dataset(const Task& task, const std::string& eval_set, int n, uint64_t seed) {
  if (!eval_set.empty()) return load_text(task, eval_set);
  if (n < 1) throw Error("--n must be at least 1");
  return generate(task, Split::Test, n, seed, 1);
}

}  // namespace hc::cli
