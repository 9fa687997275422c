#include "train/checkpoint.hpp"

#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "io/layouts.hpp"
#include "io/safetensors.hpp"

namespace hc {

namespace {

constexpr const char* kCheckpointKey = "headcount.checkpoint";
constexpr const char* kTrainConfigKey = "headcount.train_config";
constexpr const char* kTaskConfigKey = "headcount.task_config";
constexpr const char* kLogKey = "headcount.train_log";

nlohmann::json parse_meta(const st::File& f, const char* key) {
  auto it = f.metadata.find(key);
  if (it == f.metadata.end())
    throw Error(f.source + ": not a headcount checkpoint (no metadata entry " + key +
                "); --resume needs the checkpoint.safetensors that 'headcount train' writes");
  nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  if (j.is_discarded()) throw Error(f.source + ": metadata entry " + key + " is not valid JSON; the checkpoint is corrupt");
  return j;
}

std::vector<float> moment(const st::File& f, const std::string& name, size_t n) {
  const st::Tensor& t = f.get(name);
  if (t.dtype != st::DType::F32 || t.shape != std::vector<int64_t>{int64_t(n)})
    throw Error(f.source + ": tensor '" + name + "' must be F32 of shape [" + std::to_string(n) +
                "] (one value per parameter); the checkpoint is corrupt");
  return t.to_f32();
}

}  // namespace

std::string checkpoint_path(const std::string& run_dir) {
  return (std::filesystem::path(run_dir) / "checkpoint.safetensors").string();
}

int remove_stale_temporaries(const std::string& run_dir) {
  namespace fs = std::filesystem;
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run_dir, ec)) {
    const std::string name = e.path().filename().string();
    // write_file_atomic's mkstemp pattern: "." + target + ".tmp-" + 6 characters.
    const size_t tag = name.rfind(".tmp-");
    if (name.size() > 1 && name[0] == '.' && tag != std::string::npos && tag + 11 == name.size() &&
        e.is_regular_file(ec) && fs::remove(e.path(), ec))
      ++removed;
  }
  return removed;
}

bool all_finite(const std::vector<float>& v) {
  // x * 0 is 0 for every finite x and NaN for NaN and +-Inf, and a sum keeps a NaN:
  // one branch-free pass over the buffer.
  float acc = 0;
  for (float x : v) acc += x * 0.0f;
  return acc == 0.0f;
}

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  const size_t n = c.params.size();
  if (c.m.size() != n || c.v.size() != n)
    throw Error("cannot write checkpoint '" + path + "': Adam moments and weights differ in size");
  nlohmann::json meta = {{"format", kCheckpointFormat},           {"step", c.step},
                         {"adam_steps", c.adam_steps},            {"elapsed_s", c.elapsed_s},
                         {"skipped_batches", c.skipped_batches}, {"finished", c.finished}};
  st::File f = to_native_file(c.config.model, c.params.data(),
                              {{kCheckpointKey, meta.dump()},
                               {kTrainConfigKey, to_json(c.config).dump()},
                               {kTaskConfigKey, to_json(c.config.task).dump()},
                               {kLogKey, c.log}});
  f.tensors.push_back(st::Tensor::from_f32("adam.m", {int64_t(n)}, c.m.data()));
  f.tensors.push_back(st::Tensor::from_f32("adam.v", {int64_t(n)}, c.v.data()));
  f.source = path;
  st::write(path, f);
}

Checkpoint load_checkpoint(const std::string& path) {
  const st::File f = st::read(path);
  const nlohmann::json meta = parse_meta(f, kCheckpointKey);
  Checkpoint c;
  try {
    if (!meta.is_object() || meta.value("format", 0) != kCheckpointFormat)
      throw Error(path + ": checkpoint format " + (meta.is_object() ? meta.value("format", nlohmann::json()).dump() : "?") +
                  " is not the format " + std::to_string(kCheckpointFormat) +
                  " this headcount reads; resume it with the headcount that wrote it");
    c.step = meta.at("step").get<int64_t>();
    c.adam_steps = meta.at("adam_steps").get<int64_t>();
    c.elapsed_s = meta.at("elapsed_s").get<double>();
    c.skipped_batches = meta.at("skipped_batches").get<int64_t>();
    c.finished = meta.at("finished").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": metadata entry " + kCheckpointKey + " is incomplete (" + e.what() + "); the checkpoint is corrupt");
  }
  c.config = train_config_from_json(parse_meta(f, kTrainConfigKey), path + " (metadata " + kTrainConfigKey + ")");
  auto log = f.metadata.find(kLogKey);
  if (log == f.metadata.end()) throw Error(path + ": no metadata entry " + kLogKey + "; the checkpoint is corrupt");
  c.log = log->second;
  if (c.step < 0 || c.step > c.config.steps || c.adam_steps < 0 || c.skipped_batches < 0 ||
      c.adam_steps + c.skipped_batches != c.step)
    throw Error(path + ": inconsistent counters (step " + std::to_string(c.step) + ", adam_steps " +
                std::to_string(c.adam_steps) + ", skipped " + std::to_string(c.skipped_batches) + " of " +
                std::to_string(c.config.steps) + " steps); the checkpoint is corrupt");

  LoadedWeights w = load_weights(f, Layout::Native, ModelHints{c.config.model.n_ctx, c.config.model.d_vocab,
                                                               c.config.task.name});
  if (to_json(w.config) != to_json(c.config.model))
    throw Error(path + ": the weights' shapes " + to_json(w.config).dump() + " do not match the recorded config " +
                to_json(c.config.model).dump() + "; the checkpoint is corrupt");
  c.params = std::move(w.params);
  c.m = moment(f, "adam.m", c.params.size());
  c.v = moment(f, "adam.v", c.params.size());
  if (!all_finite(c.params) || !all_finite(c.m) || !all_finite(c.v))
    throw Error(path + ": the checkpoint holds NaN or infinite values; it cannot be resumed");
  return c;
}

}  // namespace hc
