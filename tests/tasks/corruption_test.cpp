// Counterfactual corruptions: same length and query position, one symbol
// changed, the answer changed in the way each task says.
#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "tasks/corruption.hpp"

namespace hc {
namespace corruption_test {

std::unique_ptr<Task> task_named(const std::string& name) {
  TaskConfig c;
  c.name = name;
  return make_task(c);
}

int changed_positions(const Example& a, const Example& b, int upto) {
  int n = 0;
  for (int i = 0; i < upto; ++i) n += a.seq[size_t(i)] != b.seq[size_t(i)];
  return n;
}

TEST(Corruption, CountUniqueMovesTheCountByOne) {
  auto task = task_named("count-unique");
  const Dataset clean = generate(*task, Split::Test, 500, 3, 1);
  const CorruptedPairs p = corrupted_pairs(*task, clean, 9);
  EXPECT_EQ(p.skipped, 0u);  // every string has a move (N = 10 >= 2)
  ASSERT_EQ(p.clean.examples.size(), 500u);
  std::set<int> moves;
  for (size_t i = 0; i < 500; ++i) {
    const Example &a = p.clean.examples[i], &b = p.corrupted.examples[i];
    EXPECT_EQ(a.query_pos, b.query_pos);
    EXPECT_EQ(changed_positions(a, b, a.query_pos), 1);
    const int d = b.answer - a.answer;  // #k tokens are consecutive
    EXPECT_TRUE(d == 1 || d == -1) << task->format(a) << " -> " << task->format(b);
    moves.insert(d);
  }
  EXPECT_EQ(moves.size(), 2u);  // both directions occur
}

TEST(Corruption, MaxOfListDigitsChangesTheMaximumsTensDigit) {
  auto task = task_named("max-of-list-digits");
  const Dataset clean = generate(*task, Split::Test, 500, 3, 1);
  const CorruptedPairs p = corrupted_pairs(*task, clean, 9);
  EXPECT_EQ(p.clean.examples.size() + p.skipped, 500u);
  EXPECT_LT(p.skipped, 50u);
  for (size_t i = 0; i < p.clean.examples.size(); ++i) {
    const Example &a = p.clean.examples[i], &b = p.corrupted.examples[i];
    EXPECT_EQ(a.query_pos, b.query_pos);
    EXPECT_EQ(changed_positions(a, b, a.query_pos), 1);
    EXPECT_NE(a.answer, b.answer) << task->format(a) << " -> " << task->format(b);
  }
}

TEST(Corruption, Count01FlipsOneSymbolAndTheAnswer) {
  auto task = task_named("count01");
  const Dataset clean = generate(*task, Split::Test, 500, 3, 1);
  const CorruptedPairs p = corrupted_pairs(*task, clean, 9);
  ASSERT_GT(p.clean.examples.size(), 50u);
  for (size_t i = 0; i < p.clean.examples.size(); ++i) {
    const Example &a = p.clean.examples[i], &b = p.corrupted.examples[i];
    EXPECT_EQ(a.query_pos, b.query_pos);
    EXPECT_EQ(changed_positions(a, b, a.query_pos), 1);
    EXPECT_NE(a.answer, b.answer);
  }
}

TEST(Corruption, ATaskWithoutOneSaysSo) {
  auto task = task_named("max-of-list");
  EXPECT_EQ(task->corruption(), "");
  const Dataset clean = generate(*task, Split::Test, 10, 3, 1);
  try {
    corrupted_pairs(*task, clean, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'max-of-list' has no counterfactual corruption"), std::string::npos)
        << e.what();
  }
}

}  // namespace corruption_test
}  // namespace hc
