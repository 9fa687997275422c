// Nothing a user has is replaced without being asked: train, import and data
// refuse an existing output and name --force; --force replaces a run directory
// whole (no stale analysis/, checkpoint or log) and only once the new one is
// complete; links, FIFOs and devices are never replaced by a regular file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace cli_safe_outputs_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::run_cli;

// run_cli in another working directory (for the default --out runs/TASK-sSEED).
testing::CliResult run_cli_in(const std::string& dir, const std::string& args) {
  testing::CliResult r;
  const std::string cmd = "cd '" + dir + "' && " + std::string(HC_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::string> names(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

const std::string kTiny = "--steps 2 --eval-size 10 --quiet";

TEST(SafeOutputs, TrainRefusesTheDefaultOutDirOfAnEarlierRun) {
  const std::string d = testing::temp_dir("safe-default-out");
  auto a = run_cli_in(d, "train --task count01 --d-model 16 --heads 4 " + kTiny);
  ASSERT_EQ(a.code, 0) << a.output;
  const std::string model = read_file(d + "/runs/count01-s1/model.safetensors");
  auto b = run_cli_in(d, "train --task count01 --d-model 8 --heads 2 " + kTiny);
  EXPECT_EQ(b.code, 1);
  EXPECT_NE(b.output.find("error: runs/count01-s1 (the default --out for task count01, seed 1) already holds a run; "
                          "pass --force to replace it whole, or choose another --out"),
            std::string::npos)
      << b.output;
  EXPECT_EQ(read_file(d + "/runs/count01-s1/model.safetensors"), model) << "the first model was replaced";
}

TEST(SafeOutputs, TrainForceReplacesTheRunWholeLeavingNothingOld) {
  const std::string d = testing::temp_dir("safe-force");
  const std::string run = d + "/run";
  ASSERT_EQ(run_cli("train --task max-of-list " + kTiny + " --out " + run).code, 0);
  fs::create_directories(run + "/analysis");
  write_file_atomic(run + "/analysis/summary.json", "{}");
  auto r = run_cli("train --task count01 " + kTiny + " --checkpoint-every 0 --out " + run);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("--out " + run + " already holds a run; pass --force"), std::string::npos) << r.output;
  r = run_cli("train --task count01 " + kTiny + " --checkpoint-every 0 --force --out " + run);
  ASSERT_EQ(r.code, 0) << r.output;
  // The new run only: no analysis/ of the old task, no old checkpoint (this run writes none).
  EXPECT_EQ(names(run), (std::vector<std::string>{"config.json", "metrics.json", "model.safetensors", "train_log.csv"}));
  EXPECT_NE(read_file(run + "/config.json").find("\"count01\""), std::string::npos);
  EXPECT_EQ(names(d), std::vector<std::string>{"run"}) << "the staging or old directory was left beside";
  // --force over a run whose replacement fails before writing anything: the old run stays.
  r = run_cli("train --task count01 --lr 1e30 --steps 50 --quiet --force --out " + run);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("(the existing run in " + run + " is untouched)"), std::string::npos) << r.output;
  EXPECT_EQ(names(run), (std::vector<std::string>{"config.json", "metrics.json", "model.safetensors", "train_log.csv"}));
  EXPECT_EQ(names(d), std::vector<std::string>{"run"});
}

TEST(SafeOutputs, ImportRefusesAnExistingOutAndForceLeavesNoOldCheckpoint) {
  const std::string d = testing::temp_dir("safe-import");
  const std::string run = d + "/run";
  ASSERT_EQ(run_cli("train --task max-of-list " + kTiny + " --out " + run).code, 0);
  ASSERT_TRUE(fs::exists(run + "/checkpoint.safetensors"));
  const std::string args = "import " + testing::fixture("max_of_list_torch.safetensors") + " --task max-of-list --out " + run;
  auto r = run_cli(args);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: --out " + run + " already holds files; pass --force to replace it whole"),
            std::string::npos) << r.output;
  r = run_cli(args + " --force");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(names(run), (std::vector<std::string>{"config.json", "model.safetensors"}));
  EXPECT_EQ(names(d), std::vector<std::string>{"run"});
}

TEST(SafeOutputs, DataRefusesAnExistingFileALinkAndAFifo) {
  const std::string d = testing::temp_dir("safe-data");
  ASSERT_EQ(run_cli("data --n 3 --out " + d + "/set.txt").code, 0);
  const std::string first = read_file(d + "/set.txt");
  auto r = run_cli("data --n 5 --out " + d + "/set.txt");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: --out " + d + "/set.txt already exists; pass --force to replace it"),
            std::string::npos) << r.output;
  EXPECT_EQ(read_file(d + "/set.txt"), first);
  r = run_cli("data --n 5 --force --out " + d + "/set.txt");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(read_file(d + "/set.txt"), first);
  // A link is refused even with --force, and left a link.
  fs::create_symlink("set.txt", d + "/link.txt");
  r = run_cli("data --n 5 --force --out " + d + "/link.txt");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("is a symbolic link (to 'set.txt')"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_symlink(d + "/link.txt"));
  ASSERT_EQ(::mkfifo((d + "/pipe").c_str(), 0644), 0);
  r = run_cli("data --n 5 --force --out " + d + "/pipe");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("it is a FIFO (named pipe), not a regular file"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_fifo(d + "/pipe"));
  EXPECT_EQ(names(d), (std::vector<std::string>{"link.txt", "pipe", "set.txt"}));
}

}  // namespace cli_safe_outputs_test
}  // namespace hc
