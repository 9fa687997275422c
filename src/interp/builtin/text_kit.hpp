#pragma once
// Small formatting helpers the built-in analyses' text blocks share, and the
// result base most of them use: a summary block and tables, made once by the
// analysis, with the text rendered from them.
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "interp/analysis.hpp"

namespace hc::text_kit {

inline std::string pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", 100.0 * x);
  return b;
}

inline std::string num(const nlohmann::json& j, const char* fmt = "%.2f") {
  if (j.is_null()) return "-";
  char b[32];
  std::snprintf(b, sizeof b, fmt, j.get<double>());
  return b;
}

inline std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// Head keys in head order ("0".."15" or "L0H0"..): JSON objects sort keys as
// strings, which would print head 10 before head 2.
inline std::vector<std::string> head_keys(const ModelConfig& c) {
  std::vector<std::string> keys;
  for (int f = 0; f < c.n_layers * c.n_heads; ++f)
    keys.push_back(c.n_layers == 1 ? std::to_string(f)
                                   : "L" + std::to_string(f / c.n_heads) + "H" + std::to_string(f % c.n_heads));
  return keys;
}

// The per-head analyses label heads "head3" (one layer) or "L1H3".
inline std::vector<std::string> head_labels(const ModelConfig& c) {
  std::vector<std::string> keys = head_keys(c);
  if (c.n_layers == 1)
    for (auto& k : keys) k = "head" + k;
  return keys;
}

// "name v, name v" for the labels present in obj, in the given order.
template <class F>
std::string listing(const nlohmann::json& obj, const std::vector<std::string>& order, F value) {
  std::string out;
  for (const auto& k : order)
    if (obj.contains(k)) out += (out.empty() ? "" : ", ") + k + " " + value(obj[k]);
  return out;
}

// A result held as its summary block and tables; subclasses render the text.
class SummaryResult : public AnalysisResult {
 public:
  SummaryResult(nlohmann::json summary, std::vector<Table> tables)
      : summary_(std::move(summary)), tables_(std::move(tables)) {}
  nlohmann::json summary() const override { return summary_; }
  const std::vector<Table>& tables() const override { return tables_; }

 protected:
  nlohmann::json summary_;
  std::vector<Table> tables_;
};

// An Analysis whose result class `Result` is built from what `compute`
// returns (a struct with `summary` and `tables`, as the analysis functions
// give), applying where `rule` says.
template <class Result, class Compute>
Analysis summary_analysis(std::string name, std::string description,
                          std::function<std::string(const ModelConfig&, const Task&)> rule, Compute compute) {
  Analysis a;
  a.name = std::move(name);
  a.description = std::move(description);
  a.not_applicable = std::move(rule);
  a.run = [compute](const AnalysisContext& ctx) -> std::unique_ptr<AnalysisResult> {
    auto r = compute(ctx);
    return std::make_unique<Result>(std::move(r.summary), std::move(r.tables));
  };
  return a;
}

inline std::string always_applies(const ModelConfig&, const Task&) { return ""; }

}  // namespace hc::text_kit
