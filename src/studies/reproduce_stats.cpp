#include "studies/reproduce_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "studies/reproduce.hpp"

namespace hc {

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) throw Error("pearson: needs two equally long series of >= 2 values");
  const double n = double(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

std::pair<double, double> bootstrap_pearson_ci(const std::vector<double>& x, const std::vector<double>& y,
                                               int resamples, double level, uint64_t seed) {
  if (resamples < 1) throw Error("bootstrap: needs at least one resample");
  Rng rng(seed, 77);
  std::vector<double> rs, bx(x.size()), by(y.size());
  for (int k = 0; k < resamples; ++k) {
    for (size_t i = 0; i < x.size(); ++i) {
      const uint32_t j = rng.below(uint32_t(x.size()));
      bx[i] = x[j], by[i] = y[j];
    }
    const double r = pearson(bx, by);
    if (std::isfinite(r)) rs.push_back(r);  // a resample of constant values has no r
  }
  if (rs.empty()) return {std::nan(""), std::nan("")};
  std::sort(rs.begin(), rs.end());
  auto q = [&](double p) {
    const double pos = p * double(rs.size() - 1);
    const size_t lo = size_t(std::floor(pos)), hi = std::min(rs.size() - 1, lo + 1);
    return rs[lo] + (rs[hi] - rs[lo]) * (pos - double(lo));
  };
  const double a = (1 - level) / 2;
  return {q(a), q(1 - a)};
}

namespace repro {

Stat stat_of(const std::vector<double>& v) {
  Stat s;
  s.n = int(v.size());
  if (v.empty()) return {std::nan(""), std::nan(""), 0};
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0;
  return s;
}

double quantile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = p * double(v.size() - 1);
  const size_t lo = size_t(std::floor(pos)), hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

std::string fmt(const char* f, double x) {
  char b[64];
  std::snprintf(b, sizeof b, f, x);
  return b;
}
std::string fmt_stat(const Stat& s, const char* f) {
  return fmt(f, s.mean) + " ± " + fmt(f, s.sd) + " (n=" + std::to_string(s.n) + ")";
}
std::string pct(double x) { return fmt("%.1f%%", 100 * x); }

nlohmann::json stat_json(const Stat& s) {
  // NaN (no values) as null, so summary.json reads back to the same JSON.
  auto j = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  return {{"mean", j(s.mean)}, {"sd", j(s.sd)}, {"n", s.n}};
}

}  // namespace repro
}  // namespace hc
