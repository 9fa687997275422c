// Max-of-List: sampling (determinism, disjoint splits, stratification), the
// shape of every example, and the text form (round trip, fixture, errors).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "task_test_util.hpp"
#include "tasks/max_of_list.hpp"

namespace hc {
namespace tasks_max_of_list_test {  // this file's own names (unity builds batch test files)
using testing::error_of;
using testing::TempFile;

TaskConfig mol(int k = 5, int R = 10, double stratified = 0.5) {
  TaskConfig c;
  c.name = "max-of-list";
  c.list_len = k;
  c.num_range = R;
  c.stratified = stratified;
  return c;
}

std::vector<int32_t> list_of(const Example& ex, int k) {
  std::vector<int32_t> l;
  for (int i = 0; i < k; ++i) l.push_back(ex.seq[size_t(2 * i + 1)]);
  return l;
}

// Exact probability of each training list under the documented sampler:
// mixture of stratified (m uniform, list uniform among lists with max m) and
// uniform, then conditioned on the list hashing into the train split.
std::map<std::vector<int32_t>, double> exact_train_distribution(const MaxOfListTask& task) {
  const auto& c = task.config();
  const int k = c.list_len, R = c.num_range;
  std::map<std::vector<int32_t>, double> p;
  std::vector<int32_t> l(static_cast<size_t>(k), 0);
  double total = 0;
  while (true) {
    if (task.split_of_list(l) == Split::Train) {
      const int m = *std::max_element(l.begin(), l.end());
      const double n_with_max = std::pow(m + 1.0, k) - std::pow(double(m), k);
      const double w = c.stratified / R / n_with_max + (1 - c.stratified) / std::pow(R, k);
      p[l] = w;
      total += w;
    }
    int i = 0;
    while (i < k && ++l[size_t(i)] == R) l[size_t(i++)] = 0;
    if (i == k) break;
  }
  for (auto& [_, v] : p) v /= total;
  return p;
}

TEST(MaxOfList, VocabularyAndShapesFollowTasksMd) {
  auto task = make_task(mol());
  EXPECT_EQ(task->vocab_size(), 14);
  EXPECT_EQ(task->n_ctx(), 12);
  EXPECT_EQ(task->token_id("0"), 0);
  EXPECT_EQ(task->token_id("9"), 9);
  EXPECT_EQ(task->token_id("BOS"), 10);
  EXPECT_EQ(task->token_id("SEP"), 11);
  EXPECT_EQ(task->token_id("ANS"), 12);
  EXPECT_EQ(task->eos_token(), 13);
  EXPECT_EQ(task->token_id("PAD"), -1);
  auto big = make_task(mol(3, 100));
  EXPECT_EQ(big->vocab_size(), 104);
  EXPECT_EQ(big->n_ctx(), 8);
  EXPECT_EQ(big->token_id("99"), 99);
  EXPECT_EQ(big->token_id("EOS"), 103);
}

TEST(MaxOfList, SameSeedAndStreamGiveSameExamples) {
  auto task = make_task(mol());
  auto a = generate(*task, Split::Train, 300, 7, 3);
  auto b = generate(*task, Split::Train, 300, 7, 3);
  auto c = generate(*task, Split::Train, 300, 7, 4);
  int differ = 0;
  for (size_t i = 0; i < a.examples.size(); ++i) {
    ASSERT_EQ(a.examples[i].seq, b.examples[i].seq);
    differ += a.examples[i].seq != c.examples[i].seq;
  }
  EXPECT_GT(differ, 250);  // another stream is another sequence, not a shifted copy
}

TEST(MaxOfList, EveryExampleHasTheRightShapeAnswerAndTargets) {
  for (auto cfg : {mol(), mol(1, 100), mol(4, 100, 0.9)}) {
    auto task = make_task(cfg);
    const int k = cfg.list_len, R = cfg.num_range;
    Rng rng(11, 0);
    for (Split split : {Split::Train, Split::Test}) {
      for (int i = 0; i < 3000; ++i) {
        Example ex = task->sample(rng, split);
        ASSERT_EQ(int(ex.seq.size()), task->n_ctx() + 1);
        ASSERT_EQ(ex.seq[0], R);  // BOS
        for (int j = 0; j < k; ++j) {
          ASSERT_LT(ex.seq[size_t(2 * j + 1)], R);
          if (j > 0) {
            ASSERT_EQ(ex.seq[size_t(2 * j)], R + 1);  // SEP
          }
        }
        auto l = list_of(ex, k);
        ASSERT_EQ(ex.answer, *std::max_element(l.begin(), l.end()));
        ASSERT_EQ(ex.query_pos, 2 * k);
        ASSERT_EQ(ex.seq[size_t(2 * k)], R + 2);  // ANS
        ASSERT_EQ(ex.loss_pos, (std::vector<int32_t>{2 * k, 2 * k + 1}));
        ASSERT_EQ(ex.seq[size_t(ex.loss_pos[0] + 1)], ex.answer);
        ASSERT_EQ(ex.seq[size_t(ex.loss_pos[1] + 1)], task->eos_token());
        ASSERT_EQ(task->split_of(ex), split);
      }
    }
  }
}

TEST(MaxOfList, TrainAndTestNeverShareAList) {
  auto task = make_task(mol());
  std::set<std::vector<int32_t>> train, test;
  for (auto& ex : generate(*task, Split::Train, 20000, 1, 0).examples) train.insert(list_of(ex, 5));
  for (auto& ex : generate(*task, Split::Test, 20000, 1, 1).examples) test.insert(list_of(ex, 5));
  EXPECT_GT(train.size(), 5000u);  // the check below is not vacuous
  EXPECT_GT(test.size(), 5000u);
  for (const auto& l : test) ASSERT_EQ(train.count(l), 0u);
}

TEST(MaxOfList, TestSplitHoldsAboutOneListInTestMod) {
  for (int mod : {10, 4}) {
    auto cfg = mol();
    cfg.test_mod = mod;
    MaxOfListTask task(cfg);
    int in_test = 0, total = 0;
    std::vector<int32_t> l(5, 0);
    for (int code = 0; code < 100000; ++code, ++total) {  // all 10^5 lists
      for (int i = 0, c = code; i < 5; ++i, c /= 10) l[size_t(i)] = c % 10;
      in_test += task.split_of_list(l) == Split::Test;
    }
    EXPECT_NEAR(double(in_test) / total, 1.0 / mod, 0.006) << "test_mod " << mod;
  }
}

TEST(MaxOfList, TrainingListsFollowTheStratifiedMixtureExactly) {
  // A small space, so each of the 9 lists' frequency can be checked against
  // the sampler's exact distribution (this also proves uniformity within a
  // maximum, which a "plant m at a random slot" sampler would fail).
  for (double s : {1.0, 0.5, 0.0}) {
    MaxOfListTask task(mol(2, 3, s));
    auto exact = exact_train_distribution(task);
    std::map<std::vector<int32_t>, int> seen;
    Rng rng(5, 0);
    const int n = 60000;
    for (int i = 0; i < n; ++i) seen[list_of(task.sample(rng, Split::Train), 2)]++;
    for (const auto& [l, p] : exact)
      EXPECT_NEAR(double(seen[l]) / n, p, 0.01) << "stratified " << s << " list " << l[0] << l[1];
    for (const auto& [l, cnt] : seen) EXPECT_TRUE(exact.count(l)) << "a test list was drawn";
  }
}

TEST(MaxOfList, StratificationMakesSmallMaximaFrequent) {
  MaxOfListTask task(mol());  // k 5, R 10, stratified 0.5
  std::vector<double> expected(10, 0.0);
  for (const auto& [l, p] : exact_train_distribution(task))
    expected[size_t(*std::max_element(l.begin(), l.end()))] += p;
  std::vector<int> seen(10, 0);
  const int n = 40000;
  for (auto& ex : generate(task, Split::Train, n, 2, 0).examples) seen[size_t(ex.answer)]++;
  for (int m = 0; m < 10; ++m) EXPECT_NEAR(double(seen[size_t(m)]) / n, expected[size_t(m)], 0.01);
  // Uniform lists have max <= 2 with probability 3^5/10^5 = 0.0024; half the
  // draws being stratified puts about 0.5 * 3/10 = 0.15 there.
  EXPECT_GT(double(seen[0] + seen[1] + seen[2]) / n, 0.12);
}

TEST(MaxOfList, TestSplitUsesUniformListsEvenWhenTrainingIsStratified) {
  auto task = make_task(mol(5, 10, 1.0));
  std::vector<int> seen(10, 0);
  const int n = 20000;
  for (auto& ex : generate(*task, Split::Test, n, 3, 0).examples) seen[size_t(ex.answer)]++;
  EXPECT_NEAR(double(seen[9]) / n, 1 - std::pow(0.9, 5), 0.015);   // 0.41 under uniform
  EXPECT_LT(double(seen[0] + seen[1] + seen[2]) / n, 0.01);        // 0.3 if stratified
}

TEST(MaxOfList, FormatThenParseGivesBackTheExample) {
  for (auto cfg : {mol(), mol(3, 100, 0.3), mol(2, 20, 0.0)}) {
    auto task = make_task(cfg);
    Rng rng(9, 1);
    for (int i = 0; i < 2000; ++i) {
      Example ex = task->sample(rng, i % 2 ? Split::Test : Split::Train);
      std::string line = task->format(ex);
      Example back = task->parse(line, i + 1);
      ASSERT_EQ(back.seq, ex.seq) << line;
      ASSERT_EQ(back.loss_pos, ex.loss_pos);
      ASSERT_EQ(back.answer, ex.answer);
      ASSERT_EQ(back.query_pos, ex.query_pos);
    }
  }
  auto task = make_task(mol());
  EXPECT_EQ(task->format(task->parse("BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS", 1)),
            "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS");
}

TEST(MaxOfList, PyTorchFixtureTestSetLoadsCompletely) {
  auto task = make_task(mol());
  const std::string path = testing::fixture("max_of_list_torch.test.txt");
  Dataset ds = load_text(*task, path);
  ASSERT_EQ(ds.examples.size(), 5000u);
  EXPECT_EQ(ds.source, path);
  EXPECT_EQ(task->format(ds.examples[0]), "BOS 3 SEP 9 SEP 6 SEP 3 SEP 1 ANS 9 EOS");
  for (const auto& ex : ds.examples) {
    auto l = list_of(ex, 5);
    ASSERT_EQ(ex.answer, *std::max_element(l.begin(), l.end()));
    ASSERT_EQ(ex.query_pos, 10);
  }
}

TEST(MaxOfList, MalformedLinesNameTheirLineAndReason) {
  auto task = make_task(mol());
  const std::string good = "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7",
       "line 3: expected 13 tokens (BOS n1 SEP .. n5 ANS max EOS), got 12"},
      {"BOS 3 SEP X SEP 2 SEP 5 SEP 1 ANS 7 EOS",
       "line 3: unknown token 'X' (tokens are 0..9, BOS, SEP, ANS, EOS)"},
      {"BOS 3 SEP 10 SEP 2 SEP 5 SEP 1 ANS 7 EOS", "line 3: unknown token '10'"},
      {"BOS 3 SEP 7 7 2 SEP 5 SEP 1 ANS 7 EOS", "line 3: position 4 should be SEP, found 7"},
      {"SEP 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS", "line 3: position 0 should be BOS, found SEP"},
      {"BOS 3 SEP SEP SEP 2 SEP 5 SEP 1 ANS 7 EOS",
       "line 3: position 3 should be a number (0..9), found SEP"},
      {"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 SEP 7 EOS", "line 3: position 10 should be ANS, found SEP"},
      {"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 SEP", "line 3: position 12 should be EOS, found SEP"},
      {"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 5 EOS",
       "line 3: wrong answer: the maximum of [3 7 2 5 1] is 7, the line says 5"},
      {"", "line 3: empty line"},
  };
  for (const auto& bad_case : cases) {
    // Named copies: clang 14 (the sanitizer build) cannot capture structured bindings.
    const std::string bad = bad_case.first, reason = bad_case.second;
    // Direct parse: the message starts with the line number.
    std::string direct = error_of([&] { task->parse(bad, 3); });
    EXPECT_EQ(direct.rfind(reason, 0), 0u) << direct;
    // From a file: the bad line is line 3 and nothing before it hides it.
    TempFile f(good + good + bad + "\n" + good);
    std::string msg = error_of([&] { load_text(*task, f.path); });
    EXPECT_NE(msg.find(reason), std::string::npos) << msg;
    EXPECT_NE(msg.find(f.path), std::string::npos) << msg;
  }
}

}  // namespace tasks_max_of_list_test
}  // namespace hc
