// The text form on disk: save/load round trip, empty files, blank lines,
// CRLF, missing files, and errors that name the file and the line.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/atomic_file.hpp"
#include "task_test_util.hpp"
#include "tasks/task.hpp"

namespace hc {
namespace tasks_text_form_test {  // this file's own names (unity builds batch test files)
using testing::error_of;
using testing::TempFile;

TaskConfig named(const char* name) {
  TaskConfig c;
  c.name = name;
  return c;
}

TEST(TextForm, SaveThenLoadGivesTheSameExamples) {
  for (const char* name : {"max-of-list", "count01"}) {
    auto task = make_task(named(name));
    Dataset ds = generate(*task, Split::Test, 500, 21, 0);
    TempFile f("");
    save_text(*task, ds, f.path);
    // One line per example, exactly the format() text.
    std::string text = read_file(f.path);
    std::string expected;
    for (const auto& ex : ds.examples) expected += task->format(ex) + "\n";
    EXPECT_EQ(text, expected);
    Dataset back = load_text(*task, f.path);
    ASSERT_EQ(back.examples.size(), ds.examples.size());
    for (size_t i = 0; i < ds.examples.size(); ++i) {
      ASSERT_EQ(back.examples[i].seq, ds.examples[i].seq);
      ASSERT_EQ(back.examples[i].loss_pos, ds.examples[i].loss_pos);
    }
    EXPECT_EQ(back.source, f.path);
  }
}

TEST(TextForm, GeneratedSetRecordsWhereItCameFrom) {
  auto task = make_task(named("count01"));
  Dataset ds = generate(*task, Split::Test, 5, 1, 2);
  EXPECT_EQ(ds.examples.size(), 5u);
  EXPECT_NE(ds.source.find("test split"), std::string::npos);
  EXPECT_NE(ds.source.find("seed 1"), std::string::npos);
  EXPECT_NE(ds.source.find("n 5"), std::string::npos);
}

TEST(TextForm, EmptyFileIsAnError) {
  auto task = make_task(named("count01"));
  for (const char* content : {"", "\n", "\n\n  \n"}) {
    TempFile f(content);
    std::string msg = error_of([&] { load_text(*task, f.path); });
    EXPECT_EQ(msg.rfind(f.path + ": the evaluation set is empty", 0), 0u) << msg;
  }
}

TEST(TextForm, TrailingBlankLinesAndCrlfAreAccepted) {
  auto task = make_task(named("max-of-list"));
  TempFile f("BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\r\nBOS 1 SEP 1 SEP 0 SEP 0 SEP 4 ANS 4 EOS\n\n");
  Dataset ds = load_text(*task, f.path);
  ASSERT_EQ(ds.examples.size(), 2u);
  EXPECT_EQ(ds.examples[1].answer, 4);
  TempFile no_newline("BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS");
  EXPECT_EQ(load_text(*task, no_newline.path).examples.size(), 1u);
}

TEST(TextForm, AByteOrderMarkIsSkipped) {
  // Some editors start a UTF-8 file with EF BB BF; it is not part of the first token.
  auto task = make_task(named("max-of-list"));
  TempFile f("\xEF\xBB\xBF" "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\n");
  Dataset ds = load_text(*task, f.path);
  ASSERT_EQ(ds.examples.size(), 1u);
  EXPECT_EQ(task->format(ds.examples[0]), "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS");
  // Only at the start: elsewhere it is a malformed token, reported with its line.
  TempFile mid("BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\n\xEF\xBB\xBF" "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\n");
  EXPECT_NE(error_of([&] { load_text(*task, mid.path); }).find("line 2"), std::string::npos);
}

TEST(TextForm, BlankLineBetweenExamplesIsReportedNotSkipped) {
  auto task = make_task(named("count01"));
  TempFile f("0 1 1 = 5 EOS\n\n0 0 = 4 EOS\n");
  std::string msg = error_of([&] { load_text(*task, f.path); });
  EXPECT_NE(msg.find(f.path + ": line 2: empty line"), std::string::npos) << msg;
}

TEST(TextForm, MissingFileIsAnErrorNamingIt) {
  auto task = make_task(named("count01"));
  const std::string path =
      (std::filesystem::temp_directory_path() / "hc_tasks_no_such_file.txt").string();
  std::string msg = error_of([&] { load_text(*task, path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST(TextForm, WrongTaskForTheFileFailsOnLineOne) {
  auto count01 = make_task(named("count01"));
  std::string msg = error_of(
      [&] { load_text(*count01, testing::fixture("max_of_list_torch.test.txt")); });
  EXPECT_NE(msg.find("line 1: unknown token 'BOS'"), std::string::npos) << msg;
}

}  // namespace tasks_text_form_test
}  // namespace hc
