#include "studies/verdict.hpp"

#include <cmath>
#include <cstdio>

namespace hc::repro {

namespace {
std::string g(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", x);
  return b;
}
std::string iv(const Interval& i) { return "[" + g(i.lo) + ", " + g(i.hi) + "]"; }
}  // namespace

Judgement Quantitative::judge(const Interval& ours) const {
  const std::string rule = "quantitative: reproduced when our 95% interval meets the paper's range " + what +
                           (has_null ? ", unless it also holds the null " + g(null_value) + " (then not shown)" : "") +
                           "; contradicted when it lies outside it. Ours " + iv(ours) + ": ";
  if (!std::isfinite(ours.lo) || !std::isfinite(ours.hi)) return {kNotShown, rule + "no interval"};
  const bool meets = ours.lo <= hi && ours.hi >= lo;
  if (!meets) return {kContradicted, rule + "outside the paper's range"};
  if (has_null && ours.contains(null_value)) return {kNotShown, rule + "meets it but holds the null too"};
  return {kReproduced, rule + "meets it"};
}

Judgement Qualitative::judge(const Interval& ours) const {
  const std::string rule = "qualitative: reproduced when our 95% interval of " + what + " excludes " +
                           g(null_value) + " on the paper's side; not shown when it holds " + g(null_value) +
                           "; contradicted when it excludes it on the other side. Ours " + iv(ours) + ": ";
  if (!std::isfinite(ours.lo) || !std::isfinite(ours.hi)) return {kNotShown, rule + "no interval"};
  if (ours.contains(null_value)) return {kNotShown, rule + "holds " + g(null_value)};
  const bool above = ours.lo > null_value;
  if (above == up) return {kReproduced, rule + "excludes it on the paper's side"};
  return {kContradicted, rule + "excludes it on the other side"};
}

Judgement combine(const std::vector<std::pair<std::string, Judgement>>& parts) {
  bool all = !parts.empty(), any_contra = false;
  std::string rule = "every part must reproduce (any contradicted: contradicted; else not shown). ";
  for (const auto& [name, j] : parts) {
    all = all && j.word == kReproduced;
    any_contra = any_contra || j.word == kContradicted;
    rule += name + ": " + j.word + " (" + j.rule + ") ";
  }
  rule.pop_back();
  return {all ? kReproduced : any_contra ? kContradicted : kNotShown, rule};
}

}  // namespace hc::repro
