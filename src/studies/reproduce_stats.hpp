#pragma once
// Summary statistics and number formats shared by the reproduce claims and
// the renderer (pearson and bootstrap_pearson_ci are in reproduce.hpp).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc::repro {

struct Stat {
  double mean = 0, sd = 0;
  int n = 0;
};

// Mean, sample standard deviation (0 for one value) and count; NaNs when empty.
Stat stat_of(const std::vector<double>& v);
// Linear-interpolation quantile (p in [0, 1]); NaN when empty.
double quantile(std::vector<double> v, double p);

std::string fmt(const char* f, double x);                              // printf of one number
std::string fmt_stat(const Stat& s, const char* f = "%.3f");           // "mean ± sd (n=N)"
std::string pct(double x);                                             // 0.123 -> "12.3%"
nlohmann::json stat_json(const Stat& s);                               // {"mean", "sd", "n"}

}  // namespace hc::repro
