// Count-unique: vocabulary and shapes of TASKS.md, the stratified generator,
// the disjoint split and its sizes, the text form (round trip and errors),
// the per-count accuracy parts and the default recipe.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "task_test_util.hpp"
#include "tasks/count_unique.hpp"
#include "tasks/registry.hpp"
#include "train/trainer.hpp"

namespace hc {
namespace tasks_count_unique_test {

using testing::error_of;

std::unique_ptr<Task> unique_task() { return make_task(default_task_config("count-unique")); }

int distinct(const Example& ex) {
  std::set<int32_t> s(ex.seq.begin() + 1, ex.seq.begin() + 11);
  return int(s.size());
}

TEST(CountUnique, VocabularyAndShapesFollowTasksMd) {
  auto task = unique_task();
  EXPECT_EQ(task->vocab_size(), 22);
  const auto& v = task->vocab();
  EXPECT_EQ(v[0], "a");
  EXPECT_EQ(v[9], "j");
  EXPECT_EQ(v[10], "BOS");
  EXPECT_EQ(v[11], "ANS");
  EXPECT_EQ(v[12], "#1");
  EXPECT_EQ(v[21], "#10");
  EXPECT_EQ(task->n_ctx(), 12);
  EXPECT_EQ(task->n_loss_positions(), 1);
  EXPECT_EQ(task->eos_token(), -1);
  const Example ex = task->parse("BOS a b a c c j a b b a ANS #4", 1);
  EXPECT_EQ(ex.seq, (std::vector<int32_t>{10, 0, 1, 0, 2, 2, 9, 0, 1, 1, 0, 11, 15}));
  EXPECT_EQ(ex.query_pos, 11);
  EXPECT_EQ(ex.loss_pos, (std::vector<int32_t>{11}));
  EXPECT_EQ(ex.answer, 11 + 4);
}

TEST(CountUnique, GeneratorIsStratifiedByCountAndSplitsAreDisjoint) {
  auto task = unique_task();
  std::map<int, int> train_by_count, test_by_count;
  std::set<std::vector<int32_t>> train, test;
  Rng rng(5, 0);
  for (int i = 0; i < 20000; ++i) {
    const Example tr = task->sample(rng, Split::Train);
    const Example te = task->sample(rng, Split::Test);
    EXPECT_EQ(task->split_of(tr), Split::Train);
    EXPECT_EQ(task->split_of(te), Split::Test);
    EXPECT_EQ(tr.answer, 11 + distinct(tr));
    EXPECT_EQ(te.answer, 11 + distinct(te));
    ++train_by_count[distinct(tr)];
    ++test_by_count[distinct(te)];
    train.insert(tr.seq);
    test.insert(te.seq);
  }
  for (const auto& s : test) EXPECT_EQ(train.count(s), 0u);
  // Held out: k uniform in 1..10, about 2,000 each.
  ASSERT_EQ(test_by_count.size(), 10u);
  for (const auto& [k, n] : test_by_count) EXPECT_NEAR(n, 2000, 200) << "count " << k;
  // Training: as the puzzle's deduplicated set of 10,000 strings per count,
  // 90% of them trained on: count 1 has 9 training strings against 9,000 for
  // each other count, so about 20,000 * 9 / 81,009 = 2.2 of 20,000 draws.
  for (int k = 2; k <= 10; ++k) EXPECT_NEAR(train_by_count[k], 20000.0 / 9, 250) << "count " << k;
  EXPECT_LE(train_by_count[1], 12);
  // Count 1 has exactly 10 strings: 1 held out (drawn), the other 9 for training.
  std::set<std::vector<int32_t>> ones_test;
  for (const auto& s : test)
    if (std::set<int32_t>(s.begin() + 1, s.begin() + 11).size() == 1) ones_test.insert(s);
  ASSERT_EQ(ones_test.size(), 1u);
  int ones_train = 0;
  for (int32_t x = 0; x < 10; ++x) {
    std::string line = "BOS";
    for (int p = 0; p < 10; ++p) line += std::string(" ") + char('a' + x);
    const Example e = task->parse(line + " ANS #1", 1);
    ones_train += task->split_of(e) == Split::Train;
    if (task->split_of(e) == Split::Test) {
      EXPECT_EQ(*ones_test.begin(), e.seq);
    }
  }
  EXPECT_EQ(ones_train, 9);
}

TEST(CountUnique, SplitSizesAreStatedPerCount) {
  const auto lines = unique_task()->split_sizes();
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[0], "count 1: 10 distinct strings, 1 held out and 9 for training (by hash rank); 0.01% of training draws");
  // Training draws weigh count k by min(its training strings, 9,000): count 1
  // 9 / 81,009 = 0.01%, every other count 9,000 / 81,009 = 11.11%.
  // C(10,2) * (2^10 - 2) = 45,990.
  EXPECT_EQ(lines[1], "count 2: 45,990 distinct strings, 4,599 held out and 41,391 for training (by hash rank); 11.11% of training draws");
  // C(10,3) * (3^10 - 3 * 2^10 + 3) = 6,717,600.
  EXPECT_EQ(lines[2], "count 3: 6,717,600 distinct strings, about 671,760 held out (hash % 10 == 0), the rest for training; 11.11% of training draws");
  // Count 10: every permutation of the 10 symbols.
  EXPECT_EQ(lines[9], "count 10: 3,628,800 distinct strings, about 362,880 held out (hash % 10 == 0), the rest for training; 11.11% of training draws");
}

TEST(CountUnique, BadLinesNameTheProblem) {
  auto task = unique_task();
  EXPECT_EQ(error_of([&] { task->parse("BOS a b a c c j a b b a ANS #11", 3); }),
            "line 3: count token '#11' is out of range: the counts are #1..#10 (a string of 10 symbols)");
  EXPECT_EQ(error_of([&] { task->parse("BOS a b a c c j a b b a ANS #0", 3); }),
            "line 3: count token '#0' is out of range: the counts are #1..#10 (a string of 10 symbols)");
  EXPECT_EQ(error_of([&] { task->parse("BOS a b a c c z a b b a ANS #4", 2); }),
            "line 2: unknown token 'z' (the symbols are a..j, then BOS, ANS and #1..#10)");
  EXPECT_EQ(error_of([&] { task->parse("BOS a b a c c j a b b a ANS #5", 1); }),
            "line 1: wrong answer: the string has 4 distinct symbols, the line says #5");
  EXPECT_EQ(error_of([&] { task->parse("BOS a b a c c j a b b ANS #4", 1); }),
            "line 1: expected 13 tokens (BOS t1 .. t10 ANS #k), got 12");
  EXPECT_EQ(error_of([&] { task->parse("BOS a b a c #2 j a b b a ANS #4", 1); }),
            "line 1: position 5 should be a symbol (the symbols are a..j), found #2");
  EXPECT_EQ(error_of([&] { task->parse("BOS a b a c c j a b b a ANS a", 1); }),
            "line 1: position 12 should be the count (#1..#10), found a");
}

TEST(CountUnique, PartsAreAccuracyPerCount) {
  auto task = unique_task();
  auto parts = task->accuracy_parts();
  ASSERT_EQ(parts.size(), 10u);
  EXPECT_EQ(parts[0].key, "count_1");
  EXPECT_EQ(parts[9].key, "count_10");
  const Example four = task->parse("BOS a b a c c j a b b a ANS #4", 1);
  const Example one = task->parse("BOS c c c c c c c c c c ANS #1", 1);
  const int32_t said4[1] = {15}, said3[1] = {14};
  task->score_parts(four, said4, parts);
  task->score_parts(four, said3, parts);
  task->score_parts(one, said3, parts);
  EXPECT_EQ(parts[3].n, 2);
  EXPECT_EQ(parts[3].correct, 1);
  EXPECT_EQ(parts[0].n, 1);
  EXPECT_EQ(parts[0].correct, 0);
  EXPECT_EQ(parts[2].n, 0);
}

TEST(CountUnique, DefaultRecipeIsThePuzzleModelOf9600Parameters) {
  const TrainConfig c = default_train_config("count-unique");
  EXPECT_EQ(c.model.n_layers, 2);
  EXPECT_EQ(c.model.d_model, 32);
  EXPECT_EQ(c.model.n_heads, 4);
  EXPECT_EQ(c.model.d_head, 8);
  EXPECT_FALSE(c.model.pos_embed);
  EXPECT_EQ(c.steps, 40000);
  EXPECT_EQ(c.batch, 512);
  EXPECT_EQ(Model<float>(c.model).params().size(), 9600u);
}

TEST(CountUnique, InvarianceFamiliesShareTheirCount) {
  auto task = unique_task();
  Rng rng(3, 0);
  const auto families = task->invariance_families(20, rng);
  ASSERT_EQ(families.size(), 20u);
  for (const auto& f : families) {
    ASSERT_GE(f.size(), 2u);
    for (const auto& ex : f) EXPECT_EQ(ex.answer, f[0].answer);
  }
}

}  // namespace tasks_count_unique_test
}  // namespace hc
