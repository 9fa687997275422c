#include "cli/common.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/layouts.hpp"
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

void TaskFlags::add_to(CLI::App& app) {
  app.add_option("--task", task, "Task: max-of-list or count01");
  app.add_option("--list-len", list_len, "Max-of-List: numbers per list (k, default 5)");
  app.add_option("--num-range", num_range, "Max-of-List: numbers are 0..R-1 (default 10)");
  app.add_option("--min-len", min_len, "Count01: shortest string (default 1)");
  app.add_option("--max-len", max_len, "Count01: longest string (default 20)");
  app.add_option("--noise", noise, "Count01: probability of the noise symbol 2 (default 1/3)");
  app.add_flag("--ties-as-4", ties_as_4, "Count01: keep ties and label them 4 (default: excluded)");
}

bool TaskFlags::any_set() const {
  return !task.empty() || list_len || num_range || min_len || max_len || noise || ties_as_4;
}

TaskConfig TaskFlags::apply(TaskConfig c) const {
  if (!task.empty()) {
    if (task != c.name) c = TaskConfig{};
    c.name = task;
  }
  if (list_len) c.list_len = *list_len;
  if (num_range) c.num_range = *num_range;
  if (min_len) c.min_len = *min_len;
  if (max_len) c.max_len = *max_len;
  if (noise) c.noise = *noise;
  if (ties_as_4) c.ties_as_4 = true;
  c.validate();
  return c;
}

void LoadFlags::add_to(CLI::App& app) {
  app.add_option("model", path, "A run directory (from train or import) or a .safetensors weights file")
      ->required();
  app.add_option("--layout", layout, "Weights layout: native, transformer-lens or puzzle (default: detected)");
  task.add_to(app);
}

LoadedModel load_model(const LoadFlags& f) {
  LoadedModel out;
  std::optional<Layout> layout;
  if (!f.layout.empty()) layout = parse_layout(f.layout);
  std::string weights = f.path;
  std::error_code ec;
  if (!fs::exists(f.path, ec)) {
    throw Error("'" + f.path + "' does not exist (give a run directory or a .safetensors file)");
  }
  if (fs::is_directory(f.path, ec)) {
    const std::string cfg_path = (fs::path(f.path) / "config.json").string();
    weights = (fs::path(f.path) / "model.safetensors").string();
    if (!fs::exists(cfg_path) || !fs::exists(weights)) {
      unfinished_run_check(f.path);
      throw Error("'" + f.path + "' is not a run directory: it needs config.json and model.safetensors " +
                  "(make one with 'headcount train' or 'headcount import')");
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(cfg_path));
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(cfg_path + ": not valid JSON: " + e.what());
    }
    out.config = train_config_from_json(j, cfg_path);
    if (f.task.any_set()) out.config.task = f.task.apply(out.config.task);
    out.from_run_dir = true;
    if (!layout) layout = Layout::Native;
  } else {
    st::File file = st::read(weights);
    TaskConfig tc;
    auto meta = file.metadata.find("headcount.task_config");
    if (meta != file.metadata.end()) {
      try {
        tc = task_config_from_json(nlohmann::json::parse(meta->second), weights + " (metadata)");
      } catch (const nlohmann::json::parse_error& e) {
        throw Error(weights + ": the metadata entry headcount.task_config is not valid JSON");
      }
    } else if (f.task.task.empty()) {
      throw Error("'" + weights + "' does not say which task it was trained on: pass --task max-of-list or --task count01");
    }
    out.config.task = f.task.apply(tc);
    auto task = make_task(out.config.task);
    LoadedWeights lw = load_weights(file, layout, ModelHints{task->n_ctx(), task->vocab_size(), task->name()});
    out.config.model = lw.config;
    out.notes = lw.notes;
    out.task = std::move(task);
    out.model = std::make_unique<Model<float>>(lw.config);
    out.model->params() = std::move(lw.params);
    out.source = weights;
    return out;
  }
  out.task = make_task(out.config.task);
  LoadedWeights lw = load_weights(weights, layout,
                                  ModelHints{out.task->n_ctx(), out.task->vocab_size(), out.task->name()});
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
