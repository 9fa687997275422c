// A task defined only by two text files (FORMATS.md "Tasks from data files"):
// trained, evaluated, analysed and written back through the command line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_util.hpp"
#include "core/atomic_file.hpp"

namespace hc::testing {
namespace cli_file_task_cli_test {  // this file's own names (unity builds batch test files)
const std::string kData = std::string(HC_SOURCE_DIR) + "/tests/data/file_task/";
const std::string kFiles = "--task file --train-set " + kData + "train.txt --eval-set " + kData + "test.txt";

TEST(FileTaskCli, FirstEqualsLastTrainsFromTwoFilesToHighAccuracyAndIsAnalysed) {
  const std::string dir = temp_dir("file-task-cli");
  // Two layers: one head brings the first symbol to '=', the next compares it
  // with the last (one attention-only layer cannot compute equality).
  auto r = run_cli("train " + kFiles +
                   " --layers 2 --d-model 32 --heads 4 --steps 1500 --batch 128 --lr 3e-3 --eval-every 500"
                   " --quiet --json --threads 2 --out " + dir + "/run");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("n_examples").get<int>(), 392);  // the whole evaluation file
  EXPECT_GE(j.at("accuracy").get<double>(), 0.97) << r.output;

  // The run's config.json holds the files' absolute paths: eval finds them
  // from another directory and scores the same held-out set.
  const auto cfg = nlohmann::json::parse(read_file(dir + "/run/config.json"));
  EXPECT_EQ(cfg.at("task").at("train_set").get<std::string>().front(), '/');
  auto e = run_cli("eval " + dir + "/run --json --threads 1");
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_EQ(nlohmann::json::parse(e.output).at("accuracy"), j.at("accuracy"));
  EXPECT_EQ(nlohmann::json::parse(e.output).at("n_examples").get<int>(), 392);

  // inspect completes a prompt only when the prompt determines the answer; a
  // file task's parser takes any target, so it asks for the whole example.
  auto i = run_cli("inspect " + dir + "/run --example \"a b c d a a =\"");
  EXPECT_NE(i.code, 0);
  EXPECT_NE(i.output.find("does not determine its answer; give the whole example with its targets"), std::string::npos)
      << i.output;
  i = run_cli("inspect " + dir + "/run --example \"a b c d a a = T\"");
  EXPECT_EQ(i.code, 0) << i.output;
  EXPECT_NE(i.output.find("answer T"), std::string::npos) << i.output;

  // Every analysis that needs no task-specific trait runs on it.
  auto a = run_cli("analyze " + dir + "/run --no-report --json --threads 2 --out " + dir + "/analysis");
  ASSERT_EQ(a.code, 0) << a.output;
  const auto s = nlohmann::json::parse(a.output);
  EXPECT_TRUE(s.contains("ablation")) << a.output;
  EXPECT_TRUE(s.contains("dla")) << a.output;
}

TEST(FileTaskCli, DataWritesTheHeaderSoItsOutputIsAgainADataFile) {
  auto r = run_cli("data " + kFiles + " --split test --n 2");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string lines = read_file(kData + "test.txt");
  // The header as the task knows it (PAD added), then the file's first lines.
  const size_t body = lines.find("\n", lines.find("# loss:")) + 1;
  const size_t two = lines.find("\n", lines.find("\n", body) + 1) + 1;
  EXPECT_EQ(r.output, "# vocab: a b c d = T F PAD\n# loss: after =\n" + lines.substr(body, two - body));
}

TEST(FileTaskCli, ABadLineNamesTheFileAndTheLine) {
  const std::string dir = temp_dir("file-task-bad");
  write_file_atomic(dir + "/bad.txt", "# vocab: a b c d = T F\n# loss: after =\na b c d a b = T\na b q = F\n");
  auto r = run_cli("train --task file --train-set " + dir + "/bad.txt --eval-set " + kData +
                   "test.txt --steps 1 --out " + dir + "/run");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--train-set " + dir + "/bad.txt: line 4: unknown token 'q'"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/run"));
  // Without the files, the message names the options.
  r = run_cli("train --task file --steps 1 --out " + dir + "/run2");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("the file task needs --train-set FILE and --eval-set FILE"), std::string::npos) << r.output;
}

}  // namespace cli_file_task_cli_test
}  // namespace hc::testing
