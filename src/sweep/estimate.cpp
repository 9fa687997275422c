#include "sweep/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "core/error.hpp"
#include "model/params.hpp"
#include "sweep/options.hpp"
#include "train/trainer.hpp"

namespace hc {

namespace {

uint64_t saturating_mul(uint64_t a, uint64_t b) {
  return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

// The options of configuration k (0-based, first list slowest), seed left out.
nlohmann::json configuration(const SweepSpec& spec, uint64_t k) {
  nlohmann::json opts = nlohmann::json::object();
  std::vector<std::pair<std::string, const nlohmann::ordered_json*>> axes;
  for (auto it = spec.options.begin(); it != spec.options.end(); ++it) axes.emplace_back(it.key(), &it.value());
  for (size_t a = axes.size(); a-- > 0;) {
    const auto& v = *axes[a].second;
    if (v.is_array()) {
      opts[axes[a].first] = v[k % v.size()];
      k /= v.size();
    } else {
      opts[axes[a].first] = v;
    }
  }
  return opts;
}

// Bytes of one finished sweep run directory (file sizes): model.safetensors
// (4 bytes a parameter and a ~1.3 KB header; sweeps write no checkpoint),
// train_log.csv (~75 bytes a row), config.json, metrics.json and done.json
// (~1.5 KB), and ~70 bytes per head and figure the analyses store in done.json.
// Checked against a real sweep in tests/sweep/sweep_safety_test.cpp.
double run_bytes(const TrainConfig& c, const std::vector<std::string>& analyses) {
  const double n = double(ParamTable(c.model).total());
  const double rows = std::ceil(double(c.steps) / double(c.eval_every)) + 1;
  double figures = 0;
  for (const auto& a : analyses) figures += a == "head_metrics" ? 6 : 1;
  return 4 * n + 75 * rows + 2800 + 70 * figures * c.model.n_layers * c.model.n_heads;
}

}  // namespace

uint64_t grid_configurations(const SweepSpec& spec) {
  uint64_t n = 1;
  for (auto it = spec.options.begin(); it != spec.options.end(); ++it)
    if (it.value().is_array()) n = saturating_mul(n, it.value().size());
  return n;
}

uint64_t grid_size(const SweepSpec& spec) { return saturating_mul(grid_configurations(spec), spec.seeds.size()); }

std::string format_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (b >= 1000 && u < 5) b /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

GridEstimate estimate_grid(const SweepSpec& spec, int jobs, bool measure) {
  GridEstimate e;
  e.configurations = grid_configurations(spec);
  e.runs = grid_size(spec);
  const uint64_t sample = std::min<uint64_t>(e.configurations, 2000);
  double bytes = 0, steps = 0, work = 0;  // over the valid sampled configurations
  uint64_t valid = 0;
  std::optional<TrainConfig> first;
  for (uint64_t i = 0; i < sample; ++i) {
    const uint64_t k = sample == e.configurations ? i : i * (e.configurations / sample);
    TrainConfig c;
    try {
      c = config_from_options(configuration(spec, k), spec.source);
    } catch (const Error&) {
      ++e.invalid_sampled;  // fails at once when run: no disk, no time
      continue;
    }
    if (!first) first = c;
    ++valid;
    bytes += run_bytes(c, spec.analyses);
    steps += double(c.steps);
    // A step's cost grows with batch x parameters; evaluations add a forward
    // pass (about a third of a step) per held-out example.
    const double per_step = double(c.batch) * double(ParamTable(c.model).total());
    const double evals = std::ceil(double(c.steps) / double(c.eval_every));
    work += double(c.steps) * per_step + evals * double(c.eval_size) * double(ParamTable(c.model).total()) / 3;
    e.target_accuracy |= c.target_accuracy > 0;
  }
  e.sampled = sample;
  const double scale = sample ? double(e.configurations) / double(sample) * double(spec.seeds.size()) : 0;
  e.disk_bytes = bytes * scale;
  e.train_steps = steps * scale;
  if (measure && first) {
    TrainConfig probe = *first;
    probe.steps = std::min<int64_t>(20, first->steps);
    probe.warmup = 0;
    probe.eval_every = probe.steps;
    probe.eval_size = 1;
    probe.target_accuracy = 0;
    Model<float> model(probe.model);
    model.init(probe.seed);
    TrainOptions topt;
    topt.threads = 1;
    topt.progress = false;
    const TrainResult r = train(probe, topt, model);
    e.measured_step_s = r.seconds / double(r.steps_done);
    const double n = double(ParamTable(first->model).total());
    e.measured_on = "the first configuration (batch " + std::to_string(first->batch) + ", " +
                    std::to_string(int64_t(n)) + " parameters)";
    // Every run's work in units of the measured configuration's steps.
    const double unit = double(first->batch) * n;
    const int lanes = int(std::max<uint64_t>(1, std::min<uint64_t>(uint64_t(std::max(jobs, 1)), e.runs)));
    e.seconds = work * scale / unit * e.measured_step_s / lanes;
  }
  return e;
}

void check_grid_size(const SweepSpec& spec, const GridEstimate& e, bool yes) {
  if (e.runs > kGridRunsLimit)
    throw Error(spec.source + ": the grid has " + (e.runs == UINT64_MAX ? "more than 2^64" : std::to_string(e.runs)) +
                " runs (" + std::to_string(e.configurations) + " configurations x " + std::to_string(spec.seeds.size()) +
                " seeds); the limit is " + std::to_string(kGridRunsLimit) + " runs: shorten the lists or the seeds");
  if (yes || (e.runs <= kGridRunsNeedingYes && e.disk_bytes <= kGridBytesNeedingYes)) return;
  throw Error(spec.source + ": the grid has " + std::to_string(e.runs) + " runs taking about " +
              format_bytes(e.disk_bytes) + " of disk; a sweep over " + std::to_string(kGridRunsNeedingYes) +
              " runs or " + format_bytes(kGridBytesNeedingYes) +
              " of run directories needs --yes (check it first with --dry-run, which prints the size, disk and time)");
}

}  // namespace hc
