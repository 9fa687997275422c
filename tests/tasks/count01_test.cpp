// Count01: sampling (determinism, disjoint splits, ties, noise, lengths), the
// shape of every example, and the text form (round trip, fixtures, errors).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "task_test_util.hpp"
#include "tasks/count01.hpp"

namespace hc {
namespace tasks_count01_test {  // this file's own names (unity builds batch test files)
using testing::error_of;
using testing::TempFile;

TaskConfig c01(int min_len = 1, int max_len = 20, double noise = 1.0 / 3.0, bool ties = false) {
  TaskConfig c;
  c.name = "count01";
  c.min_len = min_len;
  c.max_len = max_len;
  c.noise = noise;
  c.ties_as_4 = ties;
  return c;
}

std::vector<int32_t> symbols_of(const Example& ex) {
  return std::vector<int32_t>(ex.seq.begin(), ex.seq.begin() + ex.query_pos);
}

int ones_minus_zeros(const std::vector<int32_t>& s) {
  int d = 0;
  for (int32_t x : s) d += (x == 1) - (x == 0);
  return d;
}

// P(#1 == #0) for a string of n symbols, each 2 w.p. p, else 0/1 evenly.
double tie_probability(int n, double p) {
  double total = 0;
  for (int j = 0; 2 * j <= n; ++j)
    total += std::exp(std::lgamma(n + 1.0) - 2 * std::lgamma(j + 1.0) - std::lgamma(n - 2 * j + 1.0) +
                      2 * j * std::log((1 - p) / 2) + (n - 2 * j) * std::log(p));
  return total;
}

TEST(Count01, VocabularyAndShapesFollowTasksMd) {
  auto task = make_task(c01());
  EXPECT_EQ(task->vocab(), (std::vector<std::string>{"0", "1", "2", "=", "4", "5", "EOS", "PAD"}));
  EXPECT_EQ(task->vocab_size(), 8);
  EXPECT_EQ(task->n_ctx(), 22);
  EXPECT_EQ(task->token_id("="), 3);
  EXPECT_EQ(task->eos_token(), 6);
  EXPECT_EQ(task->token_id("PAD"), 7);
  EXPECT_EQ(task->n_loss_positions(), 2);
}

TEST(Count01, SameSeedAndStreamGiveSameExamples) {
  auto task = make_task(c01());
  auto a = generate(*task, Split::Test, 300, 7, 3);
  auto b = generate(*task, Split::Test, 300, 7, 3);
  auto c = generate(*task, Split::Test, 300, 7, 4);
  int differ = 0;
  for (size_t i = 0; i < a.examples.size(); ++i) {
    ASSERT_EQ(a.examples[i].seq, b.examples[i].seq);
    differ += a.examples[i].seq != c.examples[i].seq;
  }
  EXPECT_GT(differ, 250);
}

TEST(Count01, EveryExampleHasTheRightShapeAnswerAndTargets) {
  for (auto cfg : {c01(), c01(3, 9, 0.0), c01(1, 40, 0.6, true)}) {
    auto task = make_task(cfg);
    Rng rng(4, 2);
    for (Split split : {Split::Train, Split::Test}) {
      for (int i = 0; i < 3000; ++i) {
        Example ex = task->sample(rng, split);
        ASSERT_EQ(int(ex.seq.size()), cfg.max_len + 3);  // T + 1
        const int n = ex.query_pos;
        ASSERT_GE(n, cfg.min_len);
        ASSERT_LE(n, cfg.max_len);
        for (int j = 0; j < n; ++j) ASSERT_LE(ex.seq[size_t(j)], 2);
        ASSERT_EQ(ex.seq[size_t(n)], 3);  // '='
        const int d = ones_minus_zeros(symbols_of(ex));
        if (!cfg.ties_as_4) {
          ASSERT_NE(d, 0);
        }
        ASSERT_EQ(ex.answer, d > 0 ? 5 : 4);
        ASSERT_EQ(ex.loss_pos, (std::vector<int32_t>{n, n + 1}));
        ASSERT_EQ(ex.seq[size_t(ex.loss_pos[0] + 1)], ex.answer);
        ASSERT_EQ(ex.seq[size_t(ex.loss_pos[1] + 1)], task->eos_token());
        for (size_t j = size_t(n + 3); j < ex.seq.size(); ++j) ASSERT_EQ(ex.seq[j], 7);  // PAD
        ASSERT_EQ(task->split_of(ex), split);
      }
    }
  }
}

TEST(Count01, TrainAndTestNeverShareAString) {
  auto task = make_task(c01());
  std::set<std::vector<int32_t>> train, test;
  for (auto& ex : generate(*task, Split::Train, 20000, 1, 0).examples) train.insert(symbols_of(ex));
  for (auto& ex : generate(*task, Split::Test, 20000, 1, 1).examples) test.insert(symbols_of(ex));
  EXPECT_GT(train.size(), 5000u);
  EXPECT_GT(test.size(), 5000u);
  for (const auto& s : test) ASSERT_EQ(train.count(s), 0u);
}

TEST(Count01, TestSplitHoldsAboutOneStringInTestMod) {
  for (int mod : {10, 3}) {
    auto cfg = c01();
    cfg.test_mod = mod;
    Count01Task task(cfg);
    Rng rng(77);
    int in_test = 0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {  // long strings, almost all distinct
      std::vector<int32_t> s(size_t(rng.range(12, 20)));
      for (auto& x : s) x = int32_t(rng.below(3));
      in_test += task.split_of_string(s) == Split::Test;
    }
    EXPECT_NEAR(double(in_test) / n, 1.0 / mod, 0.006) << "test_mod " << mod;
  }
}

TEST(Count01, TiesAreExcludedByDefaultAndLabelled4WhenAllowed) {
  // Lengths 10..20 make every single string rare, so the hash split does not
  // bias the tie rate and the exact rate applies.
  const int n = 40000;
  double expected = 0;
  for (int len = 10; len <= 20; ++len) expected += tie_probability(len, 1.0 / 3.0) / 11;
  auto with_ties = make_task(c01(10, 20, 1.0 / 3.0, true));
  int ties = 0;
  for (auto& ex : generate(*with_ties, Split::Train, n, 5, 0).examples) {
    if (ones_minus_zeros(symbols_of(ex)) == 0) {
      ++ties;
      ASSERT_EQ(ex.answer, 4);
    }
  }
  EXPECT_NEAR(double(ties) / n, expected, 0.01);
  EXPECT_GT(expected, 0.1);  // so "no ties" below is a real exclusion
  auto without = make_task(c01(10, 20));
  for (auto& ex : generate(*without, Split::Train, n, 5, 0).examples)
    ASSERT_NE(ones_minus_zeros(symbols_of(ex)), 0);
}

TEST(Count01, NoiseRateAndLengthsAreRespected) {
  for (double noise : {0.0, 0.2, 0.5}) {
    // ties_as_4 so that no resampling skews the symbol counts.
    auto task = make_task(c01(3, 12, noise, true));
    long twos = 0, ones = 0, symbols = 0;
    std::vector<int> lengths(13, 0);
    const int n = 30000;
    for (auto& ex : generate(*task, Split::Train, n, 8, 0).examples) {
      auto s = symbols_of(ex);
      lengths[s.size()]++;
      symbols += long(s.size());
      for (int32_t x : s) {
        twos += x == 2;
        ones += x == 1;
      }
    }
    EXPECT_NEAR(double(twos) / double(symbols), noise, 0.01) << "noise " << noise;
    EXPECT_NEAR(double(ones) / double(symbols - twos), 0.5, 0.01);
    if (noise == 0.0) {
      EXPECT_EQ(twos, 0);
    }
    for (int len = 3; len <= 12; ++len) EXPECT_NEAR(lengths[size_t(len)] / double(n), 0.1, 0.015);
  }
}

TEST(Count01, FormatThenParseGivesBackTheExample) {
  for (auto cfg : {c01(), c01(5, 40, 0.1, true), c01(2, 6, 0.0)}) {
    auto task = make_task(cfg);
    Rng rng(13, 0);
    for (int i = 0; i < 2000; ++i) {
      Example ex = task->sample(rng, i % 2 ? Split::Test : Split::Train);
      std::string line = task->format(ex);
      ASSERT_EQ(line.find("PAD"), std::string::npos);
      ASSERT_EQ(line.substr(line.size() - 4), " EOS");
      Example back = task->parse(line, i + 1);
      ASSERT_EQ(back.seq, ex.seq) << line;
      ASSERT_EQ(back.loss_pos, ex.loss_pos);
      ASSERT_EQ(back.answer, ex.answer);
      ASSERT_EQ(back.query_pos, ex.query_pos);
    }
  }
  auto task = make_task(c01());
  EXPECT_EQ(task->format(task->parse("0 1 1 2 = 5 EOS", 1)), "0 1 1 2 = 5 EOS");
}

TEST(Count01, TransformerLensFixtureSetsLoadCompletely) {
  auto task = make_task(c01());  // default config, max_len 20
  for (const char* name : {"count01_tl.test.txt", "count01_tl.train.txt"}) {
    Dataset ds = load_text(*task, testing::fixture(name));
    ASSERT_EQ(ds.examples.size(), 4000u) << name;
    int fives = 0;
    for (const auto& ex : ds.examples) {
      ASSERT_EQ(ex.answer, ones_minus_zeros(symbols_of(ex)) > 0 ? 5 : 4);
      fives += ex.answer == 5;
    }
    EXPECT_GT(fives, 1600) << name;  // both classes present in quantity
    EXPECT_LT(fives, 2400) << name;
  }
}

TEST(Count01, MalformedLinesNameTheirLineAndReason) {
  auto task = make_task(c01());
  const std::string good = "0 1 1 2 = 5 EOS\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0 1 x = 5 EOS", "line 7: unknown token 'x' (tokens are 0, 1, 2, =, 4, 5, EOS)"},
      {"0 1 1 5 EOS", "line 7: missing '='"},
      {"0 1 1 =", "line 7: missing the answer after '='"},
      {"0 1 1 = EOS", "line 7: position 4 should be the answer 4 or 5, found EOS"},
      {"0 1 1 = 5", "line 7: missing EOS after the answer"},
      {"0 1 1 = 5 4", "line 7: position 5 should be EOS, found 4"},
      {"0 1 1 = 5 EOS EOS", "line 7: 1 extra token(s) after EOS"},
      {"0 5 1 = 5 EOS", "line 7: position 1 is '5', but only 0, 1 and 2 may come before '='"},
      {"0 1 1 = 5 EOS PAD", "line 7: PAD at position 6: padding is omitted in the text form"},
      {"1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 = 5 EOS",
       "line 7: the string has 21 symbols, outside the lengths [1, 20]"},
      {"= 4 EOS", "line 7: the string has 0 symbols, outside the lengths [1, 20]"},
      {"0 1 1 1 = 4 EOS", "line 7: wrong answer: 3 ones and 1 zero gives 5, the line says 4"},
      {"0 1 2 = 4 EOS",
       "line 7: 1 one and 1 zero: the string has as many 1s as 0s; ties are excluded (use "
       "--ties-as-4 to allow them)"},
      {"  ", "line 7: empty line"},
  };
  for (const auto& bad_case : cases) {
    // Named copies: clang 14 (the sanitizer build) cannot capture structured bindings.
    const std::string bad = bad_case.first, reason = bad_case.second;
    std::string direct = error_of([&] { task->parse(bad, 7); });
    EXPECT_EQ(direct.rfind(reason, 0), 0u) << direct;
    std::string file;
    for (int i = 0; i < 6; ++i) file += good;
    TempFile f(file + bad + "\n" + good);
    std::string msg = error_of([&] { load_text(*task, f.path); });
    EXPECT_NE(msg.find(reason), std::string::npos) << msg;
  }
}

TEST(Count01, TiesAs4AcceptsTiesAndChecksTheirLabel) {
  auto task = make_task(c01(1, 20, 1.0 / 3.0, true));
  EXPECT_EQ(task->parse("0 1 2 = 4 EOS", 1).answer, 4);
  EXPECT_EQ(error_of([&] { task->parse("0 1 = 5 EOS", 2); }),
            "line 2: wrong answer: 1 one and 1 zero gives 4, the line says 5");
}

}  // namespace tasks_count01_test
}  // namespace hc
