// Exhaustive subset ablation: the fast two-layer path equals a hooked forward
// (ablation_setter on the patch driver) for every subset, in every mode, per
// class; zero ablation of single heads and of every set of heads on
// PyTorch-trained fixtures equals PyTorch's (make_ablations.py) within one
// example.
#include <gtest/gtest.h>

#include "../fixtures.hpp"
#include "core/error.hpp"
#include "interp/subset_ablation.hpp"
#include "puzzle2_model.hpp"
#include "random_model.hpp"

namespace hc {
namespace subset_ablation_test {

TEST(SubsetAblation, EverySubsetEqualsAHookedForward) {
  // count01: the query position moves with the string's length.
  for (const char* name : {"count-unique", "max-of-list-digits", "count01"}) {
    TaskConfig c;
    c.name = name;
    auto task = make_task(c);
    const Model<float> m = testing::random_biased_model(*task, 2, 12, 21);  // 2 x 3 heads: 64 subsets
    const Dataset data = generate(*task, Split::Test, 200, 4, 1);
    for (AblationMode mode : {AblationMode::zero, AblationMode::mean, AblationMode::resample}) {
      SCOPED_TRACE(std::string(name) + " " + mode_name(mode));
      const SubsetAblation fast = subset_ablation(m, data, mode, 2);
      const SubsetAblation slow = subset_ablation(m, data, mode, 2, nullptr, true);
      EXPECT_EQ(fast.method, "two_layer_fast");
      EXPECT_EQ(slow.method, "hooked");
      ASSERT_EQ(fast.correct.size(), 64u);
      EXPECT_EQ(fast.correct, slow.correct);
      EXPECT_EQ(fast.class_correct, slow.class_correct);
      EXPECT_EQ(fast.classes, slow.classes);
      // Not all the same: ablation changes something.
      EXPECT_NE(*std::min_element(fast.correct.begin(), fast.correct.end()),
                *std::max_element(fast.correct.begin(), fast.correct.end()));
    }
  }
}

TEST(SubsetAblation, ThreadCountDoesNotChangeResults) {
  TaskConfig c;
  c.name = "count-unique";
  auto task = make_task(c);
  const Model<float> m = testing::random_biased_model(*task, 2, 12, 22);
  const Dataset data = generate(*task, Split::Test, 300, 4, 1);
  EXPECT_EQ(subset_ablation(m, data, AblationMode::mean, 1).class_correct,
            subset_ablation(m, data, AblationMode::mean, 2).class_correct);
}

TEST(SubsetAblation, ZeroAblationEqualsPyTorchForEverySet) {
  for (const char* dir : {"unique", "digits"}) {
    SCOPED_TRACE(dir);
    const auto p = testing::load_puzzle2(dir);
    const auto want = testing::fixture_json(std::string("puzzle2/") + dir + "/ablation.json");
    const SubsetAblation s = subset_ablation(*p.model, p.eval, AblationMode::zero, 2);
    ASSERT_EQ(s.n, want.at("n").get<size_t>());
    EXPECT_LE(std::abs(s.correct[0] - want.at("full_correct").get<int64_t>()), 1);
    for (int f = 0; f < 8; ++f) {
      const std::string key = "L" + std::to_string(f / 4) + "H" + std::to_string(f % 4);
      EXPECT_LE(std::abs(s.correct[size_t(1) << f] - want.at("zero_ablated_correct").at(key).get<int64_t>()), 1)
          << key;
    }
    // And every one of the 256 sets.
    const auto& all = want.at("zero_ablated_subsets_correct");
    ASSERT_EQ(all.size(), 256u);
    int off_by_one = 0;
    for (size_t m = 0; m < 256; ++m) {
      const int64_t d = std::abs(s.correct[m] - all[m].get<int64_t>());
      EXPECT_LE(d, 1) << "set " << m;
      off_by_one += d == 1;
    }
    EXPECT_LE(off_by_one, 8);  // float ties, not a systematic difference
  }
}

TEST(SubsetAblation, FindingsNameMinimalSetsAndNecessaryHeads) {
  SubsetAblation s;
  s.L = 1;
  s.H = 2;
  s.n = 100;
  // Ablate nothing, head 0, head 1, both. (Filled one by one: g++ 12 at
  // -O3 -march=native miscompiles `vec = {100, 100, 0, 0}` here into four 100s.)
  for (int64_t c : {100, 100, 0, 0}) s.correct.push_back(c);
  const SubsetFindings f = subset_findings(s, 0.99);
  EXPECT_EQ(f.minimal_sufficient, std::vector<uint64_t>{2});  // keeping head 1 alone suffices
  EXPECT_EQ(f.necessary, std::vector<int>{1});
}

TEST(SubsetAblation, TooManyHeadsIsAClearError) {
  TaskConfig c;
  auto task = make_task(c);
  ModelConfig mc;
  mc.n_layers = 2;
  mc.n_heads = 9;
  mc.d_vocab = task->vocab_size();
  mc.n_ctx = task->n_ctx();
  Model<float> m(mc);
  m.init(1);
  try {
    subset_ablation(m, generate(*task, Split::Test, 5, 1, 1), AblationMode::zero, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2^18 ablations"), std::string::npos) << e.what();
  }
}

}  // namespace subset_ablation_test
}  // namespace hc
