// The file task (tasks/file_task.hpp): a task defined only by two data files.
#include <gtest/gtest.h>

#include "task_test_util.hpp"
#include "tasks/file_task.hpp"
#include "tasks/registry.hpp"
#include "train/batch.hpp"

namespace hc::testing {
namespace tasks_file_task_test {  // this file's own names (unity builds batch test files)
TaskConfig file_config(const std::string& train, const std::string& eval) {
  TaskConfig c = default_task_config("file");
  for (const auto& o : task_entry("file").options)
    o.set(c, o.spec.name == "train-set" ? train : eval);
  return c;
}

const char* kMarked =
    "# vocab: x y z EOS\n# loss: marked\n"
    "x y | z EOS\n"
    "x x y z y | x EOS\n";

TEST(FileTask, FirstEqualsLastFixtureLoadsWithItsHeader) {
  const std::string dir = std::string(HC_SOURCE_DIR) + "/tests/data/file_task/";
  auto task = make_task(file_config(dir + "train.txt", dir + "test.txt"));
  EXPECT_EQ(task->name(), "file");
  // a b c d = T F, then PAD (added: the header does not name it)
  EXPECT_EQ(task->vocab(), (std::vector<std::string>{"a", "b", "c", "d", "=", "T", "F", "PAD"}));
  EXPECT_EQ(task->n_ctx(), 7);  // 6 symbols, '=', then the target T/F
  EXPECT_EQ(task->n_loss_positions(), 1);
  // The held-out set is the evaluation file, whole, in its order.
  const Dataset test = generate(*task, Split::Test, 5000, 1, 1);
  ASSERT_EQ(test.examples.size(), 392u);
  const Dataset first10 = generate(*task, Split::Test, 10, 1, 1);
  ASSERT_EQ(first10.examples.size(), 10u);
  EXPECT_EQ(first10.examples[3].seq, test.examples[3].seq);
  const Dataset file = load_text(*task, dir + "test.txt");  // the header lines are skipped
  ASSERT_EQ(file.examples.size(), 392u);
  for (size_t i = 0; i < file.examples.size(); ++i) {
    const Example& ex = file.examples[i];
    ASSERT_EQ(ex.seq, test.examples[i].seq);
    EXPECT_EQ(ex.loss_pos, (std::vector<int32_t>{6}));  // predicted at '='
    EXPECT_EQ(ex.answer, ex.seq[0] == ex.seq[5] ? 5 : 6);
    EXPECT_EQ(task->split_of(ex), Split::Test);
  }
  // Training draws come from the training file only.
  Rng rng(3, 0);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(task->split_of(task->sample(rng, Split::Train)), Split::Train);
}

TEST(FileTask, MarkedTargetsPadShortLinesAndRoundTrip) {
  TempFile train(kMarked), eval("x | y EOS\n");
  auto task = make_task(file_config(train.path, eval.path));
  EXPECT_EQ(task->vocab_size(), 5);  // x y z EOS PAD
  EXPECT_EQ(task->n_ctx(), 6);       // the longest line has 7 tokens
  EXPECT_EQ(task->n_loss_positions(), 2);
  const Example ex = task->parse("x y | z EOS", 1);
  EXPECT_EQ(ex.seq, (std::vector<int32_t>{0, 1, 2, 3, 4, 4, 4}));
  EXPECT_EQ(ex.loss_pos, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(ex.answer, 2);
  EXPECT_EQ(task->format(ex), "x y | z EOS");
  const Batch b = make_batch(*task, {ex});
  EXPECT_EQ(b.P, 2);
  EXPECT_EQ(b.targets, (std::vector<int32_t>{2, 3}));
  // save_text writes the header, so what it writes is again a data file.
  TempFile out("");
  save_text(*task, generate(*task, Split::Train, 10, 1, 1), out.path);
  auto again = make_task(file_config(out.path, eval.path));
  EXPECT_EQ(again->vocab(), task->vocab());
  EXPECT_EQ(load_text(*again, out.path).examples.size(), 2u);
}

TEST(FileTask, BadFilesNameTheFileTheLineAndTheFix) {
  TempFile good(kMarked);
  auto err = [&](const std::string& train_text, const std::string& eval_text = "x | y EOS\n") {
    TempFile t(train_text), e(eval_text);
    std::string m = error_of([&] { make_task(file_config(t.path, e.path)); });
    // Paths are temp names; the messages are checked from the file name on.
    for (const std::string* p : {&t.path, &e.path}) {
      for (size_t at; (at = m.find(*p)) != std::string::npos;) m.replace(at, p->size(), p == &t.path ? "TRAIN" : "EVAL");
    }
    return m;
  };
  EXPECT_EQ(err("x y | z EOS\n"),
            "--train-set TRAIN: no header (a data file starts with '# vocab: TOKEN TOKEN ...' (token names in id "
            "order) and '# loss: after MARKER' (the tokens after the first MARKER are the targets) or '# loss: "
            "marked' (each line puts '|' before its targets))");
  EXPECT_EQ(err("# vocab: x y z EOS\n# loss: marked\nx y | z EOS\nx q | z EOS\n"),
            "--train-set TRAIN: line 4: unknown token 'q' (the header's '# vocab:' has x, y, z, EOS, PAD)");
  EXPECT_EQ(err("# vocab: x y z EOS\n# loss: marked\nx y | z EOS\nx y | z\n"),
            "--train-set TRAIN: line 4: 1 target token(s), but the task's examples have 2 (every example needs the "
            "same number of targets)");
  EXPECT_EQ(err("# vocab: x y z EOS\n# loss: marked\nx y z EOS\n"),
            "--train-set TRAIN: line 3: no '|' before the targets ('# loss: marked': e.g. 'a b c | T')");
  EXPECT_EQ(err("# vocab: a b = T\n# loss: after =\na b T\n"),
            "--train-set TRAIN: line 3: no '=' (the loss marker: the tokens after it are the targets)");
  EXPECT_EQ(err("# vocab: a b = T\n# loss: after =\na b =\n"),
            "--train-set TRAIN: line 3: no targets after the marker '='");
  EXPECT_EQ(err("# vocab: a b a\n# loss: marked\n"),
            "--train-set TRAIN: line 1: the token 'a' is listed twice (each name once)");
  EXPECT_EQ(err("# vocab: a b\n# loss: after =\n"),
            "--train-set TRAIN: the loss marker '=' is not in '# vocab:' (add it, or mark targets with '|')");
  EXPECT_EQ(err("# vocab: a b\n# loss: marked\n"), "--train-set TRAIN: no examples after the header (one example a line)");
  EXPECT_EQ(err(kMarked, "# vocab: x y z\n# loss: marked\nx | y\n"),
            "--eval-set EVAL: its header differs from the one of --train-set TRAIN (give both files the same "
            "'# vocab:' and '# loss:' lines, or none in the evaluation file)");
  EXPECT_EQ(err(kMarked, "x PAD | y EOS\n"),
            "--eval-set EVAL: line 1: PAD at position 1: padding is omitted in the text form");
  // A line of a later evaluation set that is longer than the task's context.
  auto task = make_task(file_config(good.path, good.path));
  EXPECT_EQ(error_of([&] { task->parse("x x x x x x | y EOS", 9); }),
            "line 9: 8 tokens, longer than the task's longest example (7 tokens, from --train-set and --eval-set)");
  // Without its files the task says which options it needs.
  EXPECT_NE(error_of([] { make_task(default_task_config("file")); })
                .find("the file task needs --train-set FILE and --eval-set FILE"),
            std::string::npos);
}

}  // namespace tasks_file_task_test
}  // namespace hc::testing
