// What the subcommands share (src/cli/common.cpp): loading a run directory
// (config.json with a byte-order mark), task flags that conflict with the
// model (the error names the flag), and numeric flags checked with their cap.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "cli_util.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace cli_common_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::run_cli;

// A tiny trained run, made once.
const std::string& tiny_run(const std::string& task) {
  static std::map<std::string, std::string> runs;
  auto it = runs.find(task);
  if (it != runs.end()) return it->second;
  const std::string dir = testing::temp_dir("cli-common-" + task) + "/run";
  const std::string shape = task == "count01" ? "--max-len 6 --d-model 8 --heads 2" : "--d-model 8 --heads 2";
  const auto r = run_cli("train --quiet --task " + task + " " + shape +
                         " --steps 2 --eval-every 2 --eval-size 16 --batch 8 --threads 1 --out " + dir);
  EXPECT_EQ(r.code, 0) << r.output;
  return runs[task] = dir;
}

TEST(LoadModel, AConfigJsonWithAByteOrderMarkLoads) {
  const std::string src = tiny_run("count01");
  const std::string dir = testing::temp_dir("cli-common-bom") + "/run";
  fs::copy(src, dir, fs::copy_options::recursive);
  write_file_atomic(dir + "/config.json", "\xEF\xBB\xBF" + read_file(src + "/config.json"));
  const auto r = run_cli("eval " + dir + " --n 10 --json");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\"n_examples\": 10"), std::string::npos) << r.output;
}

TEST(LoadModel, ATaskFlagThatDoesNotFitTheModelIsBlamed) {
  const std::string run = tiny_run("max-of-list");
  const auto r = run_cli("eval " + run + " --list-len 7");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("error: --list-len 7 conflicts with the model in " + run + " (trained with list_len 5)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Drop --list-len"), std::string::npos) << r.output;
  // A task flag that the model can take is still accepted: a longer Count01
  // string on a model without positions.
  const auto ok = run_cli("eval " + tiny_run("count01") + " --max-len 9 --n 20");
  EXPECT_EQ(ok.code, 0) << ok.output;
}

TEST(CheckedOptions, SizesAndSeedsAreRefusedWithTheCapNamed) {
  const std::string run = tiny_run("count01");
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"analyze " + run + " --n 100000000", "error: --n must be an integer between 1 and 100000 (got 100000000)"},
           {"eval " + run + " --n 0", "error: --n must be an integer between 1 and 10000000 (got 0)"},
           {"eval " + run + " --seed -1", "error: --seed must be an integer between 0 and 18446744073709551615 (2^64-1) (got -1)"},
           {"eval " + run + " --threads -1", "error: --threads must be an integer between 0 and 1024 (got -1)"},
           {"data --n 0", "error: --n must be an integer between 1 and 100000000 (got 0)"},
           {"inspect " + run + " --index -1", "error: --index must be an integer between 0 and 100000000 (got -1)"},
           {"eval " + run + " --ties-as-4 maybe", "error: --ties-as-4 must be true or false (got 'maybe')"},
       }) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, 1) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << "\n" << r.output;
  }
}

}  // namespace cli_common_test
}  // namespace hc
