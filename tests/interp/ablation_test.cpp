// Ablation: the linear subset shortcut equals the hooked forward for every
// subset of a 4-head model (zero, mean and resample), results do not depend on
// the thread count, and functional groups are found exactly when they exist.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "interp/ablation.hpp"
#include "interp/ablation_linear.hpp"
#include "io/layouts.hpp"
#include "random_model.hpp"

namespace hc {
namespace interp_ablation_test {  // this file's own names (unity builds batch test files)
// A random 4-head Max-of-List-shaped model with non-zero biases, so b_O and
// b_U are part of the base the shortcut must get right.
Model<float> random_model() {
  ModelConfig c;
  c.d_model = 16;
  c.n_heads = 4;
  c.d_head = 4;
  c.biases = true;
  c.init_std = 0.5;
  Model<float> m(c);
  m.init(11);
  Rng r(12);
  for (const auto& e : m.table().entries())
    if (e.name.find(".b_") != std::string::npos || e.name.find("b_U") != std::string::npos)
      for (size_t i = 0; i < e.size; ++i) m.params()[e.offset + i] = float(r.normal() * 0.3);
  return m;
}

Model<float> fixture_model() { return testing::fixture_model("max_of_list_torch.safetensors", *make_task(TaskConfig{})); }

void expect_linear_equals_hooked(const Model<float>& m, const Dataset& data, AblationMode mode) {
  auto refs = std::make_shared<const AblationRefs>(ablation_refs(m, mode, data, data, 2));
  const LinearContribs lc = linear_contribs(m, data, *refs, 2);
  const std::vector<double> all = all_subsets_accuracy(lc, 2);
  const int V = m.config().d_vocab;
  ASSERT_EQ(all.size(), 16u);
  for (uint64_t mask = 0; mask < 16; ++mask) {
    const std::vector<float> hooked = patch_logits(m, data, ablation_setter(m, refs, {mask}), 0, 2, 64);
    const std::vector<double> linear = linear_logits(lc, mask);
    double worst = 0;
    int ok = 0;
    for (size_t i = 0; i < data.examples.size(); ++i) {
      for (int v = 0; v < V; ++v) worst = std::max(worst, std::abs(double(hooked[i * V + v]) - linear[i * V + v]));
      ok += metric_value(Metric::accuracy, &hooked[i * V], V, data.examples[i].answer) > 0.5;
    }
    const double hooked_acc = double(ok) / double(data.examples.size());
    EXPECT_LT(worst, 1e-4) << mode_name(mode) << " ablation of {" << mask << "}";
    EXPECT_EQ(hooked_acc, linear_accuracy(lc, mask)) << mode_name(mode) << " mask " << mask;
    EXPECT_EQ(hooked_acc, all[mask]) << mode_name(mode) << " mask " << mask << " (Gray-code walk)";
  }
}

TEST(AblationLinear, EqualsHookedForwardForEverySubsetOfARandomBiasedModel) {
  const Model<float> m = random_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 300, 5, 1);
  for (AblationMode mode : {AblationMode::zero, AblationMode::mean, AblationMode::resample})
    expect_linear_equals_hooked(m, data, mode);
}

TEST(AblationLinear, EqualsHookedForwardForEverySubsetOfThePyTorchFixture) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 1000, 2, 1);
  for (AblationMode mode : {AblationMode::zero, AblationMode::mean}) expect_linear_equals_hooked(m, data, mode);
}

// Two layers of 3 heads: every set of earlier heads through the hooked
// forward, every set of last-layer heads by linearity; all 64 sets compared
// with the hooked forward of the whole set.
TEST(AblationLinear, LastLayerShortcutEqualsHookedForwardForEverySubsetOfATwoLayerModel) {
  auto task = make_task(TaskConfig{});
  const Model<float> m = testing::random_biased_model(*task, 2, 16, 21);
  const Dataset data = generate(*task, Split::Test, 300, 5, 1);
  const int V = m.config().d_vocab, H = m.config().n_heads;
  for (AblationMode mode : {AblationMode::zero, AblationMode::mean, AblationMode::resample}) {
    auto refs = std::make_shared<const AblationRefs>(ablation_refs(m, mode, data, data, 2));
    for (uint64_t earlier = 0; earlier < (1u << H); ++earlier) {
      const LinearContribs lc = linear_contribs(m, data, *refs, 2, earlier);
      const std::vector<double> all = all_subsets_accuracy(lc, 2);
      ASSERT_EQ(all.size(), size_t(1) << H);
      for (uint64_t last = 0; last < (1u << H); ++last) {
        const uint64_t mask = earlier | last << H;
        const std::vector<float> hooked = patch_logits(m, data, ablation_setter(m, refs, {mask}), 0, 2, 64);
        const std::vector<double> linear = linear_logits(lc, last);
        double worst = 0;
        int ok = 0;
        for (size_t i = 0; i < data.examples.size(); ++i) {
          for (int v = 0; v < V; ++v) worst = std::max(worst, std::abs(double(hooked[i * V + v]) - linear[i * V + v]));
          ok += metric_value(Metric::accuracy, &hooked[i * V], V, data.examples[i].answer) > 0.5;
        }
        EXPECT_LT(worst, 1e-4) << mode_name(mode) << " mask " << mask;
        EXPECT_EQ(double(ok) / double(data.examples.size()), all[last]) << mode_name(mode) << " mask " << mask;
      }
    }
  }
  // A last-layer head in earlier_ablated is a caller's mistake.
  auto refs = std::make_shared<const AblationRefs>(ablation_refs(m, AblationMode::zero, data, data, 1));
  EXPECT_THROW(linear_contribs(m, data, *refs, 1, 1u << H), std::logic_error);
}

TEST(Ablation, TwoLayerStudyByTheShortcutEqualsTheHookedStudy) {
  auto task = make_task(TaskConfig{});
  const Model<float> m = testing::random_biased_model(*task, 2, 16, 31);
  const Dataset data = generate(*task, Split::Test, 400, 7, 1);
  AblationOptions o;
  o.threads = 2;
  const AblationResult fast = ablation_study(m, data, o);
  o.force_hooked = true;
  const AblationResult hooked = ablation_study(m, data, o);
  EXPECT_EQ(fast.summary["method"], "linear_last_layer");
  EXPECT_EQ(hooked.summary["method"], "hooked");
  for (const char* mode : {"zero", "mean"})
    for (const char* kind : {"single", "pairs", "only", "only_pairs", "subsets_evaluated", "minimal_sufficient",
                             "minimal_size", "groups"})
      EXPECT_EQ(fast.summary[mode][kind], hooked.summary[mode][kind]) << mode << " " << kind;
  EXPECT_EQ(fast.summary["zero"]["subsets_evaluated"], 64);
  ASSERT_EQ(fast.tables.size(), hooked.tables.size());
  for (size_t t = 0; t < fast.tables.size(); ++t) EXPECT_EQ(fast.tables[t].rows, hooked.tables[t].rows) << fast.tables[t].name;
}

TEST(Ablation, NoHeadAblatedIsTheCleanForwardBitForBit) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 200, 3, 1);
  auto refs = std::make_shared<const AblationRefs>(ablation_refs(m, AblationMode::zero, data, data, 1));
  EXPECT_EQ(patch_logits(m, data, ablation_setter(m, refs, {0}), 0, 1), patch_logits(m, data, Setter{}, 0, 1));
}

TEST(Ablation, ResultsDoNotDependOnTheThreadCount) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 700, 4, 1);
  for (AblationMode mode : {AblationMode::mean, AblationMode::resample}) {
    auto r1 = std::make_shared<const AblationRefs>(ablation_refs(m, mode, data, data, 1));
    auto r2 = std::make_shared<const AblationRefs>(ablation_refs(m, mode, data, data, 2));
    EXPECT_EQ(r1->query_mean, r2->query_mean);
    PatchOptions p1, p2;
    p1.threads = 1;
    p2.threads = 2;
    p1.chunk = p2.chunk = 100;
    p1.metric = p2.metric = Metric::margin;
    const std::vector<uint64_t> masks = {1, 2, 5, 15};
    EXPECT_EQ(patch_sweep(m, data, 4, ablation_setter(m, r1, masks), p1),
              patch_sweep(m, data, 4, ablation_setter(m, r2, masks), p2));
    EXPECT_EQ(all_subsets_accuracy(linear_contribs(m, data, *r1, 1), 1),
              all_subsets_accuracy(linear_contribs(m, data, *r2, 2), 2));
  }
}

TEST(Ablation, StudyReportsSinglesPairsAndMinimalSets) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 500, 6, 1);
  AblationOptions o;
  o.threads = 2;
  const AblationResult linear = ablation_study(m, data, o);
  o.force_hooked = true;
  const AblationResult hooked = ablation_study(m, data, o);
  for (const char* mode : {"zero", "mean"})
    for (const char* kind : {"single", "pairs", "only", "only_pairs", "minimal_sufficient"})
      EXPECT_EQ(linear.summary[mode][kind], hooked.summary[mode][kind]) << mode << " " << kind;
  EXPECT_EQ(linear.summary["zero"]["single"].size(), 4u);
  EXPECT_EQ(linear.summary["zero"]["pairs"].size(), 6u);
  EXPECT_EQ(linear.summary["zero"]["subsets_evaluated"], 16);
  // Keeping every head is the full model, so a sufficient set always exists.
  EXPECT_FALSE(linear.summary["zero"]["minimal_sufficient"].empty());
}

TEST(Ablation, FunctionalGroupsExistOnlyForACompleteMultipartitePattern) {
  // {0,2} | {1,3}: cross pairs suffice, within-group pairs do not.
  std::vector<std::vector<bool>> s(4, std::vector<bool>(4, true));
  s[0][2] = s[2][0] = s[1][3] = s[3][1] = false;
  EXPECT_EQ(functional_groups(s), (std::vector<std::vector<int>>{{0, 2}, {1, 3}}));
  // Not transitive: 0~1 and 1~2 fail but 0,2 suffices: no grouping.
  s.assign(4, std::vector<bool>(4, true));
  s[0][1] = s[1][0] = s[1][2] = s[2][1] = false;
  EXPECT_TRUE(functional_groups(s).empty());
  // No pair suffices: one group only, which is no division of labour.
  s.assign(3, std::vector<bool>(3, false));
  EXPECT_TRUE(functional_groups(s).empty());
  // Every pair suffices: each head its own group.
  s.assign(3, std::vector<bool>(3, true));
  EXPECT_EQ(functional_groups(s).size(), 3u);
}

TEST(Ablation, HeadOutOfRangeIsAnError) {
  const Model<float> m = random_model();
  auto refs = std::make_shared<const AblationRefs>();
  try {
    ablation_setter(m, refs, {1ull << 4});
    FAIL() << "head 4 of a 4-head model was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
}

}  // namespace interp_ablation_test
}  // namespace hc
