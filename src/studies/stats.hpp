#pragma once
// Model-level statistics for `headcount reproduce`: every interval is a
// percentile bootstrap over models (the independent unit: one training run),
// and says so. A statistic over pooled heads or checkpoints is computed on the
// heads or checkpoints of the resampled models (a clustered bootstrap), never
// by resampling heads or checkpoints as if they were independent.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc::repro {

// An estimate and its interval, with the unit resampled and its count.
struct Interval {
  double estimate = 0, lo = 0, hi = 0;
  double level = 0.95;
  int n = 0;                 // independent units (models)
  std::string unit = "models";
  int resamples = 0;
  double width() const { return hi - lo; }
  bool contains(double x) const { return lo <= x && x <= hi; }
  // "0.199 [95% CI 0.152, 0.247; bootstrap over models, n=16]"
  std::string text(const char* f = "%.3f") const;
  nlohmann::json to_json() const;
};

// A statistic of a resample: `picks` holds n cluster indices drawn with
// replacement (a cluster may appear several times and then counts as often).
using ClusterStat = std::function<double(const std::vector<int>& picks)>;

// The statistic on all n clusters (picks 0..n-1) and the percentile interval
// of `resamples` resamples of n clusters drawn with replacement from RNG
// (seed). Resamples whose statistic is not finite (e.g. r of constant values)
// are dropped; `resamples` reports how many were kept.
Interval cluster_bootstrap(int n, const ClusterStat& stat, int resamples, uint64_t seed, double level = 0.95,
                           const std::string& unit = "models");

// The statistic of every resample (in draw order), as cluster_bootstrap draws them.
std::vector<double> cluster_bootstrap_draws(int n, const ClusterStat& stat, int resamples, uint64_t seed);

// Linear-interpolation percentile of sorted values (p in [0, 1]).
double sorted_quantile(const std::vector<double>& sorted, double p);

// The mean of one value per model, with its model bootstrap.
Interval bootstrap_mean(const std::vector<double>& per_model, int resamples, uint64_t seed);

// Clustered Pearson correlation: points grouped by model (xs[m], ys[m] are
// model m's points, e.g. its checkpoints); resamples take whole models.
Interval clustered_pearson(const std::vector<std::vector<double>>& xs, const std::vector<std::vector<double>>& ys,
                           int resamples, uint64_t seed);

// A statistic of pooled values (e.g. the median w02 of the successful heads),
// values grouped by model; resamples take whole models and pool their values.
Interval clustered_pooled(const std::vector<std::vector<double>>& per_model,
                          const std::function<double(const std::vector<double>&)>& stat, int resamples,
                          uint64_t seed);

// The difference mean(a) - mean(b) of two independent groups of models, each
// resampled on its own (n is reported as a's n + b's n).
Interval bootstrap_mean_difference(const std::vector<double>& a, const std::vector<double>& b, int resamples,
                                   uint64_t seed);

double median_of(std::vector<double> v);  // NaN when empty

}  // namespace hc::repro
