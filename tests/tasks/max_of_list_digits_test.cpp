// Max-of-List, two-digit (puzzle 1b): vocabulary and shapes of TASKS.md,
// disjoint splits, the text form (round trip and errors), the accuracy parts
// and the default recipe.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "task_test_util.hpp"
#include "tasks/max_of_list_digits.hpp"
#include "tasks/registry.hpp"
#include "train/options.hpp"
#include "train/trainer.hpp"

namespace hc {
namespace tasks_max_of_list_digits_test {

using testing::error_of;
using testing::TempFile;

std::unique_ptr<Task> digits(int k = 5) {
  TaskConfig c = default_task_config("max-of-list-digits");
  c.list_len = k;
  return make_task(c);
}

TEST(MaxOfListDigits, VocabularyAndShapesFollowTasksMd) {
  auto task = digits();
  EXPECT_EQ(task->vocab_size(), 14);
  EXPECT_EQ(task->vocab(), (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "BOS", "SEP",
                                                      "ANS", "EOS"}));
  EXPECT_EQ(task->n_ctx(), 18);
  EXPECT_EQ(task->n_loss_positions(), 3);
  EXPECT_EQ(task->n_answer_positions(), 2);
  const Example ex = task->parse("BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 7 EOS", 1);
  EXPECT_EQ(ex.seq, (std::vector<int32_t>{10, 0, 3, 11, 4, 7, 11, 2, 2, 11, 0, 5, 11, 1, 9, 12, 4, 7, 13}));
  EXPECT_EQ(ex.query_pos, 15);
  EXPECT_EQ(ex.loss_pos, (std::vector<int32_t>{15, 16, 17}));
  EXPECT_EQ(ex.answer, 4);
}

TEST(MaxOfListDigits, SamplesAreWellFormedAndSplitsDisjoint) {
  auto task = digits();
  std::set<std::string> train, test;
  Rng rng(7, 0);
  for (int i = 0; i < 3000; ++i) {
    const Example tr = task->sample(rng, Split::Train), te = task->sample(rng, Split::Test);
    EXPECT_EQ(task->split_of(tr), Split::Train);
    EXPECT_EQ(task->split_of(te), Split::Test);
    // Every sample round-trips through the text form, which checks its answer.
    for (const Example* e : {&tr, &te}) EXPECT_EQ(task->parse(task->format(*e), 1).seq, e->seq);
    train.insert(task->format(tr));
    test.insert(task->format(te));
  }
  for (const auto& s : test) EXPECT_EQ(train.count(s), 0u) << s;
  // Two-digit numbers really occur (the tens digit is not always 0).
  Rng r2(3, 0);
  int tens_nonzero = 0;
  for (int i = 0; i < 100; ++i) tens_nonzero += task->sample(r2, Split::Test).seq[1] != 0;
  EXPECT_GT(tens_nonzero, 70);
}

TEST(MaxOfListDigits, BadLinesNameTheProblem) {
  auto task = digits();
  // A digit pair that is not two digits.
  EXPECT_EQ(error_of([&] { task->parse("BOS 0 3 SEP 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 2 2 EOS", 4); }),
            "line 4: number 2 at position 4 has 1 digit before SEP: each number is two digits, tens then ones, "
            "zero-padded (7 is 0 7)");
  EXPECT_EQ(error_of([&] { task->parse("BOS 0 3 SEP 4 7 1 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 7 EOS", 2); }),
            "line 2: number 2 at position 4 has 3 digits before SEP: each number is two digits, tens then ones, "
            "zero-padded (7 is 0 7)");
  EXPECT_EQ(error_of([&] { task->parse("BOS 03 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 7 EOS", 1); }),
            "line 1: '03' is not a token: write each number as two digit tokens (0 3)");
  EXPECT_EQ(error_of([&] { task->parse("BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 EOS", 1); }),
            "line 1: the answer at position 16 has 1 digit before EOS: each number is two digits, tens then ones, "
            "zero-padded (7 is 0 7)");
  EXPECT_EQ(error_of([&] { task->parse("BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 8 EOS", 1); }),
            "line 1: wrong answer: the maximum of [3, 47, 22, 5, 19] is 4 7, the line says 4 8");
  EXPECT_EQ(error_of([&] { task->parse("BOS 0 3 SEP 4 7 ANS 4 7 EOS", 1); }),
            "line 1: position 6 should be SEP, found ANS (expected 5 numbers: BOS t o SEP t o .. SEP t o ANS t o EOS)");
  EXPECT_EQ(error_of([&] { task->parse("BOS 0 3 SEP 4 x SEP", 1); }),
            "line 1: unknown token 'x' (tokens are the digits 0..9, BOS, SEP, ANS, EOS)");
  EXPECT_EQ(error_of([&] { task->parse("BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 7 EOS EOS", 1); }),
            "line 1: 1 extra token(s) after EOS (the line must end with EOS)");
  // load_text adds the path before the line.
  TempFile f("BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 7 EOS\nBOS 0 3 SEP 7\n");
  EXPECT_EQ(error_of([&] { load_text(*task, f.path); }).rfind(f.path + ": line 2: number 2 at position 4 has 1 digit", 0),
            0u);
}

TEST(MaxOfListDigits, PartsScoreEachDigitOfTheAnswer) {
  auto task = digits();
  const Example ex = task->parse("BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 7 EOS", 1);
  auto parts = task->accuracy_parts();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].key, "tens_digit");
  EXPECT_EQ(parts[1].key, "ones_digit");
  const int32_t right_tens[3] = {4, 2, 13}, both[3] = {4, 7, 0};
  task->score_parts(ex, right_tens, parts);
  task->score_parts(ex, both, parts);
  EXPECT_EQ(parts[0].correct, 2);
  EXPECT_EQ(parts[1].correct, 1);
  EXPECT_EQ(parts[0].n, 2);
  EXPECT_EQ(parts[1].n, 2);
}

TEST(MaxOfListDigits, DefaultRecipeIsThePuzzleModelOf35712Parameters) {
  const TrainConfig c = default_train_config("max-of-list-digits");
  EXPECT_EQ(c.model.n_layers, 2);
  EXPECT_EQ(c.model.d_model, 64);
  EXPECT_EQ(c.model.n_heads, 4);
  EXPECT_EQ(c.model.d_head, 16);
  EXPECT_TRUE(c.model.pos_embed);
  EXPECT_FALSE(c.model.biases);
  EXPECT_EQ(c.steps, 20000);
  EXPECT_EQ(c.batch, 512);
  EXPECT_EQ(Model<float>(c.model).params().size(), 35712u);
}

TEST(MaxOfListDigits, ListLenIsOneFlagSharedWithMaxOfList) {
  OptionValues v{{"task", "max-of-list-digits"}, {"list-len", 3}};
  const TrainConfig c = build_train_config(v);
  EXPECT_EQ(c.task.list_len, 3);
  EXPECT_EQ(c.model.n_ctx, 12);  // 3k + 3
  EXPECT_EQ(error_of([] { build_train_config({{"task", "max-of-list-digits"}, {"num-range", 20}}); }),
            "--num-range is a max-of-list option, but the task is max-of-list-digits: drop --num-range or use "
            "--task max-of-list");
}

}  // namespace tasks_max_of_list_digits_test
}  // namespace hc
