// The verdict rules of `headcount reproduce` (studies/verdict.hpp): the rules
// themselves on chosen intervals, then the claims fed synthetic tables of
// models and heads that must come out "reproduced", "not shown" and
// "contradicted".
#include <gtest/gtest.h>

#include "core/rng.hpp"
#include "studies/claims/claim.hpp"
#include "studies/reproduce_train.hpp"
#include "studies/verdict.hpp"

namespace hc::repro {
namespace verdict_test {

Interval iv(double lo, double hi) {
  Interval i;
  i.estimate = (lo + hi) / 2, i.lo = lo, i.hi = hi, i.n = 10;
  return i;
}

TEST(VerdictRules, Quantitative) {
  const Quantitative q{0.4, 0.6, "about half"};
  EXPECT_EQ(q.judge(iv(0.35, 0.45)).word, kReproduced);
  EXPECT_EQ(q.judge(iv(0.1, 0.3)).word, kContradicted);
  EXPECT_EQ(q.judge(iv(0.65, 0.9)).word, kContradicted);
  Quantitative r{0.62, 0.82, "r = 0.72 +- 0.1"};
  r.has_null = true;
  EXPECT_EQ(r.judge(iv(0.5, 0.8)).word, kReproduced);
  EXPECT_EQ(r.judge(iv(-0.1, 0.8)).word, kNotShown);   // holds 0.72 and 0
  EXPECT_EQ(r.judge(iv(0.3, 0.5)).word, kContradicted);  // positive, but r differs
  EXPECT_NE(r.judge(iv(0.3, 0.5)).rule.find("[0.3, 0.5]"), std::string::npos);
}

TEST(VerdictRules, QualitativeAndCombined) {
  const Qualitative up{0, true, "isolated minus joint"};
  EXPECT_EQ(up.judge(iv(0.01, 0.05)).word, kReproduced);
  EXPECT_EQ(up.judge(iv(-0.05, 0.05)).word, kNotShown);
  EXPECT_EQ(up.judge(iv(-0.05, -0.01)).word, kContradicted);
  const Qualitative down{0.5, false, "share"};
  EXPECT_EQ(down.judge(iv(0.0, 0.2)).word, kReproduced);
  EXPECT_EQ(down.judge(iv(0.6, 0.9)).word, kContradicted);
  const Judgement ok{kReproduced, "a"}, ns{kNotShown, "b"}, no{kContradicted, "c"};
  EXPECT_EQ(combine({{"x", ok}, {"y", ok}}).word, kReproduced);
  EXPECT_EQ(combine({{"x", ok}, {"y", ns}}).word, kNotShown);
  EXPECT_EQ(combine({{"x", ns}, {"y", no}}).word, kContradicted);
}

// A synthetic study: main models (16 heads) whose heads fail with
// probability p_fail and have s-acc around s_joint, and isolated models
// (1 head) with s-acc around s_iso; nothing is trained.
struct Synthetic {
  Count01Study study;
  ReproduceOptions opt;
  ReproducePlan plan;
  Stages stages{false};
  Synthetic(int n_models, double p_fail, double s_joint, double s_iso, double spread, uint64_t seed) {
    plan.bootstrap = 1000;
    Rng rng(seed, 1);
    for (int m = 0; m < n_models; ++m) {
      for (const char* group : {"main", "isolated"}) {
        const bool main = std::string(group) == "main";
        TrainedModel tm{ModelSpec{group, 32, main ? 16 : 1, 2, m + 1}, {}, {}};
        Snapshot s;
        s.step = 100;
        for (int h = 0; h < (main ? 16 : 1); ++h) {
          HeadMetric hm;
          hm.head = h;
          const bool fail = rng.uniform() < p_fail;
          hm.s_acc = std::min(1.0, (main ? s_joint : s_iso) + spread * (rng.uniform() - 0.5));
          if (main) hm.s_acc = fail ? 0.8 : std::max(0.95, hm.s_acc);
          hm.success = hm.s_acc >= 0.95;
          hm.s_acc_std = hm.s_acc_large_c = hm.s_acc;
          hm.w01 = 1, hm.w02 = 20;
          hm.failure = hm.success ? "none" : "w02 too small";
          s.heads.push_back(hm);
        }
        tm.snapshots.push_back(s);
        study.models.push_back(std::move(tm));
      }
    }
  }
  std::string judge(Claim& c) {
    c.evaluate(ClaimContext{opt, plan, study, stages});
    return c.verdict().word;
  }
};

TEST(VerdictRules, SyntheticTablesGiveEachVerdict) {
  // Failed heads: about half (reproduced), about a tenth in a tight interval (contradicted).
  auto half = failed_heads_claim();
  EXPECT_EQ(Synthetic(16, 0.5, 0.97, 0.97, 0.02, 1).judge(*half), kReproduced);
  auto tenth = failed_heads_claim();
  EXPECT_EQ(Synthetic(16, 0.1, 0.97, 0.97, 0.02, 2).judge(*tenth), kContradicted);
  // Isolated vs joint on mean head s-acc: isolated clearly better
  // (reproduced), the same (not shown), clearly worse (contradicted).
  auto better = isolated_vs_joint_claim();
  EXPECT_EQ(Synthetic(16, 0.0, 0.96, 0.995, 0.01, 3).judge(*better), kReproduced);
  auto same = isolated_vs_joint_claim();
  EXPECT_EQ(Synthetic(16, 0.0, 0.97, 0.97, 0.05, 4).judge(*same), kNotShown);
  auto worse = isolated_vs_joint_claim();
  EXPECT_EQ(Synthetic(16, 0.0, 0.99, 0.955, 0.01, 5).judge(*worse), kContradicted);
  // Failure signatures: only "w02 too small" recurs, the other two never occur: not all three reproduced.
  auto sig = failure_signatures_claim();
  EXPECT_EQ(Synthetic(16, 0.5, 0.97, 0.97, 0.02, 6).judge(*sig), kNotShown);
  // The rule is printed with the verdict.
  EXPECT_NE(tenth->row().detail.find("[0.4, 0.6]"), std::string::npos) << tenth->row().detail;
}

TEST(VerdictRules, ASignatureSeenOnceAmongAllHeadsIsNotShown) {
  // 16 models x 16 heads; "w02 too small" in about half the heads of every
  // model, and each of the two other signatures in exactly one head of one
  // model: the per-model share's interval holds 0 for those two.
  Synthetic once(16, 0.5, 0.97, 0.97, 0.02, 7);
  once.study.models[0].snapshots[0].heads[0].failure = "w01 too extreme";
  once.study.models[2].snapshots[0].heads[1].failure = "separable but misaligned";
  auto sig = failure_signatures_claim();
  EXPECT_EQ(once.judge(*sig), kNotShown);
  // In every model: all three recur, reproduced.
  Synthetic every(16, 0.5, 0.97, 0.97, 0.02, 7);
  for (auto& tm : every.study.models)
    if (tm.spec.group == "main") {
      tm.snapshots[0].heads[0].failure = "w01 too extreme";
      tm.snapshots[0].heads[1].failure = "separable but misaligned";
      tm.snapshots[0].heads[2].failure = "w02 too small";
    }
  auto sig2 = failure_signatures_claim();
  EXPECT_EQ(every.judge(*sig2), kReproduced);
}

}  // namespace verdict_test
}  // namespace hc::repro
