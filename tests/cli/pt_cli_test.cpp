// .pt files and the puzzle series' checkpoint folders through the command
// line, as a user meets them: the puzzle trainer's own checkpoint evaluates to
// the accuracy its own model computed, and hostile files leave nothing behind.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "core/atomic_file.hpp"
#include "io/pickle.hpp"

namespace hc {
namespace cli_pt_cli_test {  // this file's own names (unity builds batch test files)
using testing::fixture;
using testing::run_cli;
namespace fs = std::filesystem;

TEST(CliPt, PuzzleCheckpointFolderGivesThePuzzleModelsOwnAccuracy) {
  const std::string dir = fixture("puzzle1a");
  auto r = run_cli("eval " + dir + " --eval-set " + dir + "/eval.txt --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  const auto expected = testing::fixture_json("puzzle1a/expected.json");
  EXPECT_EQ(j.at("task"), "max-of-list");
  EXPECT_EQ(j.at("n_examples"), expected.at("n"));
  EXPECT_LE(std::abs(j.at("n_correct").get<int>() - expected.at("correct").get<int>()), 1) << r.output;
}

TEST(CliPt, PuzzleFolderSaysWhatItInferred) {
  const std::string dir = fixture("puzzle1a");
  auto r = run_cli("inspect " + dir + " --index 0");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("note: puzzle 1a checkpoint: task max-of-list (num_range 10"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("layout puzzle"), std::string::npos) << r.output;
}

TEST(CliPt, ImportOfAPtFileMatchesItsSafetensorsTwin) {
  const std::string dir = testing::temp_dir("pt-import");
  auto r = run_cli("import " + fixture("pt/max_of_list_views.pt") + " --task max-of-list --out " + dir + "/run");
  ASSERT_EQ(r.code, 0) << r.output;
  auto a = run_cli("eval " + dir + "/run --eval-set " + fixture("max_of_list_torch.test.txt") + " --json");
  auto b = run_cli("eval " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --eval-set " +
                   fixture("max_of_list_torch.test.txt") + " --json");
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_EQ(nlohmann::json::parse(a.output).at("accuracy"), nlohmann::json::parse(b.output).at("accuracy"));
}

// Each hostile file: import fails with its reason, writes no run directory, runs no payload.
TEST(CliPt, HostileFilesAreRefusedAndWriteNothing) {
  const std::string dir = testing::temp_dir("pt-hostile");
  const std::pair<const char*, std::string> cases[] = {
      {"os_system", "imports posix.system"},
      {"os_system_stack", "imports os.system"},
      {"builtins_eval", "imports builtins.eval"},
      {"offset_past_end", "reaches element 9 of a storage of 6"},
      {"half_dtype", "dtype float16"},
      {"int64_dtype", "dtype int64"},
      {"zip_bomb", "zip bomb"},
      {"truncated", "truncated"},
  };
  for (const auto& [file, why] : cases) {
    const std::string out = dir + "/" + file;
    auto r = run_cli("import " + fixture(std::string("pt/") + file + ".pt") + " --task max-of-list --out " + out);
    EXPECT_NE(r.code, 0) << file;
    EXPECT_NE(r.output.find(why), std::string::npos) << file << ": " << r.output;
    EXPECT_FALSE(fs::exists(out)) << file << " left " << out;
  }
  EXPECT_TRUE(fs::is_empty(dir));
  for (const char* s : {"/tmp/headcount-pt-sentinel-os-system", "/tmp/headcount-pt-sentinel-os-system-stack",
                        "/tmp/headcount-pt-sentinel-eval"})
    EXPECT_FALSE(fs::exists(s)) << s;
  auto r = run_cli("eval " + fixture("pt/builtins_eval.pt") + " --task max-of-list");
  EXPECT_NE(r.output.find(pkl::kNoCode), std::string::npos) << r.output;
}

// vocab.type digit over puzzle 1a's weights: the config's list needs a longer context than the weights have.
TEST(CliPt, PuzzleFolderOfAnotherTaskThanItsWeightsIsRefused) {
  const std::string d = testing::temp_dir("pt-other-task");
  fs::copy_file(fixture("puzzle1a/model.pt"), d + "/model.pt");
  auto config = testing::fixture_json("puzzle1a/config.json");
  config["vocab"] = {{"type", "digit"}, {"num_range", 100}};
  write_file_atomic(d + "/config.json", config.dump(2));
  auto r = run_cli("eval " + d);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("model.max_seq_len = 12 is shorter than the 18 tokens a list of 5 needs"), std::string::npos)
      << r.output;
}

TEST(CliPt, PuzzleConfigThatContradictsTheWeightsIsRefused) {
  const std::string d = testing::temp_dir("pt-contradiction");
  fs::copy_file(fixture("puzzle1a/model.pt"), d + "/model.pt");
  auto config = testing::fixture_json("puzzle1a/config.json");
  config["model"]["n_heads"] = 8;
  write_file_atomic(d + "/config.json", config.dump(2));
  auto r = run_cli("eval " + d);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("model.n_heads = 8 but"), std::string::npos) << r.output;
}

}  // namespace cli_pt_cli_test
}  // namespace hc
