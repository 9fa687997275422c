#include "studies/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "studies/reproduce.hpp"

namespace hc::repro {

namespace {
constexpr uint64_t kBootstrapStream = 91;
std::string num(const char* f, double x) {
  char b[64];
  std::snprintf(b, sizeof b, f, x);
  return b;
}
}  // namespace

std::string Interval::text(const char* f) const {
  return num(f, estimate) + " [" + num("%.0f", 100 * level) + "% CI " + num(f, lo) + ", " + num(f, hi) +
         "; bootstrap over " + unit + ", n=" + std::to_string(n) + "]";
}

nlohmann::json Interval::to_json() const {
  auto j = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  return {{"estimate", j(estimate)}, {"ci_low", j(lo)},      {"ci_high", j(hi)},          {"level", level},
          {"n", n},                  {"unit", unit},         {"resamples", resamples}};
}

double sorted_quantile(const std::vector<double>& v, double p) {
  if (v.empty()) return std::nan("");
  const double pos = p * double(v.size() - 1);
  const size_t lo = size_t(std::floor(pos)), hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

std::vector<double> cluster_bootstrap_draws(int n, const ClusterStat& stat, int resamples, uint64_t seed) {
  if (n < 1) throw Error("bootstrap: needs at least one model");
  if (resamples < 1) throw Error("bootstrap: needs at least one resample");
  Rng rng(seed, kBootstrapStream);
  std::vector<double> out;
  out.reserve(size_t(resamples));
  std::vector<int> picks(static_cast<size_t>(n));
  for (int k = 0; k < resamples; ++k) {
    for (auto& p : picks) p = int(rng.below(uint32_t(n)));
    out.push_back(stat(picks));
  }
  return out;
}

Interval cluster_bootstrap(int n, const ClusterStat& stat, int resamples, uint64_t seed, double level,
                           const std::string& unit) {
  Interval iv;
  iv.level = level, iv.n = n, iv.unit = unit;
  std::vector<int> all(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) all[size_t(i)] = i;
  iv.estimate = stat(all);
  std::vector<double> d = cluster_bootstrap_draws(n, stat, resamples, seed), kept;
  for (double x : d)
    if (std::isfinite(x)) kept.push_back(x);
  std::sort(kept.begin(), kept.end());
  iv.resamples = int(kept.size());
  const double a = (1 - level) / 2;
  iv.lo = sorted_quantile(kept, a), iv.hi = sorted_quantile(kept, 1 - a);
  return iv;
}

Interval bootstrap_mean(const std::vector<double>& v, int resamples, uint64_t seed) {
  if (v.empty()) return Interval{std::nan(""), std::nan(""), std::nan(""), 0.95, 0};
  return cluster_bootstrap(
      int(v.size()),
      [&](const std::vector<int>& p) {
        double s = 0;
        for (int i : p) s += v[size_t(i)];
        return s / double(p.size());
      },
      resamples, seed);
}

Interval clustered_pearson(const std::vector<std::vector<double>>& xs, const std::vector<std::vector<double>>& ys,
                           int resamples, uint64_t seed) {
  if (xs.size() != ys.size()) throw Error("clustered_pearson: x and y have different numbers of models");
  if (xs.empty()) return Interval{std::nan(""), std::nan(""), std::nan(""), 0.95, 0};
  std::vector<double> x, y;
  return cluster_bootstrap(
      int(xs.size()),
      [&](const std::vector<int>& p) {
        x.clear(), y.clear();
        for (int i : p) {
          x.insert(x.end(), xs[size_t(i)].begin(), xs[size_t(i)].end());
          y.insert(y.end(), ys[size_t(i)].begin(), ys[size_t(i)].end());
        }
        return x.size() < 2 ? std::nan("") : pearson(x, y);
      },
      resamples, seed);
}

Interval clustered_pooled(const std::vector<std::vector<double>>& per_model,
                          const std::function<double(const std::vector<double>&)>& stat, int resamples,
                          uint64_t seed) {
  if (per_model.empty()) return Interval{std::nan(""), std::nan(""), std::nan(""), 0.95, 0};
  std::vector<double> pool;
  return cluster_bootstrap(
      int(per_model.size()),
      [&](const std::vector<int>& p) {
        pool.clear();
        for (int i : p) pool.insert(pool.end(), per_model[size_t(i)].begin(), per_model[size_t(i)].end());
        return pool.empty() ? std::nan("") : stat(pool);
      },
      resamples, seed);
}

Interval bootstrap_mean_difference(const std::vector<double>& a, const std::vector<double>& b, int resamples,
                                   uint64_t seed) {
  if (a.empty() || b.empty()) return Interval{std::nan(""), std::nan(""), std::nan(""), 0.95, 0};
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / double(v.size());
  };
  // Independent resamples of the two groups: b's draws come from another stream.
  const std::vector<double> da = cluster_bootstrap_draws(
      int(a.size()), [&](const std::vector<int>& p) { double s = 0; for (int i : p) s += a[size_t(i)]; return s / double(p.size()); },
      resamples, seed);
  const std::vector<double> db = cluster_bootstrap_draws(
      int(b.size()), [&](const std::vector<int>& p) { double s = 0; for (int i : p) s += b[size_t(i)]; return s / double(p.size()); },
      resamples, seed + 1);
  std::vector<double> d(da.size());
  for (size_t k = 0; k < d.size(); ++k) d[k] = da[k] - db[k];
  std::sort(d.begin(), d.end());
  Interval iv;
  iv.estimate = mean(a) - mean(b);
  iv.n = int(a.size() + b.size());
  iv.resamples = resamples;
  iv.lo = sorted_quantile(d, 0.025), iv.hi = sorted_quantile(d, 0.975);
  return iv;
}

double median_of(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return sorted_quantile(v, 0.5);
}

}  // namespace hc::repro
