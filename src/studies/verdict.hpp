#pragma once
// The verdict rules of `headcount reproduce` (docs/REPRODUCTION.md), applied
// to a claim's model-bootstrap interval:
//
// - quantitative claim (the paper gives a value, read as a range [lo, hi]:
//   its value plus a stated tolerance): "reproduced" when that range meets
//   our interval; "contradicted" when our interval lies wholly outside it.
//   With a null value (e.g. r = 0) given as well, an interval that meets the
//   paper's range but also holds the null is "not shown".
// - qualitative claim (a direction: our statistic above, or below, a null):
//   "reproduced" when our interval excludes the null on the paper's side;
//   "not shown" when it holds the null; "contradicted" when it excludes the
//   null on the other side.
// Each rule also renders the sentence printed beside the claim.
#include <string>
#include <vector>

#include "studies/stats.hpp"

namespace hc::repro {

inline constexpr const char* kReproduced = "reproduced";
inline constexpr const char* kNotShown = "not shown";
inline constexpr const char* kContradicted = "contradicted";

struct Judgement {
  std::string word;  // kReproduced, kNotShown or kContradicted
  std::string rule;  // the rule, with the numbers it was applied to
};

// A quantitative claim: the paper's value as the range [lo, hi] (value +-
// tolerance), `what` naming the range ("about half: [0.4, 0.6]").
struct Quantitative {
  double lo, hi;
  std::string what;
  bool has_null = false;
  double null_value = 0;
  Judgement judge(const Interval& ours) const;
};

// A qualitative claim: the statistic is above (up = true) or below the null.
struct Qualitative {
  double null_value = 0;
  bool up = true;
  std::string what;  // "isolated minus joint mean s-acc > 0"
  Judgement judge(const Interval& ours) const;
};

// Several parts of one claim: reproduced when all are, contradicted when any
// is, else not shown. The rule lists each part's judgement.
Judgement combine(const std::vector<std::pair<std::string, Judgement>>& parts);

}  // namespace hc::repro
