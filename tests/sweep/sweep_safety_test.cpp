// Sweeps do not trample each other or their outputs: one sweep at a time per
// --out (flock; a dead sweep's lock is recovered), another spec on the same
// --out needs --force, sweep-merge refuses missing and duplicate shards unless
// --partial, and a big grid needs --yes, with --dry-run giving its size, disk
// and time.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../cli/cli_util.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace sweep_sweep_safety_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::run_cli;

const char* kSmall = R"({"task": "count01", "d-model": 8, "heads": [2, 4], "steps": 20, "eval-every": 10,
  "eval-size": 50, "seeds": 2})";

std::string spec_file(const std::string& dir, const std::string& name, const std::string& text) {
  fs::create_directories(dir);
  write_file_atomic(dir + "/" + name, text);
  return dir + "/" + name;
}

TEST(SweepSafety, ASecondSweepOnTheSameOutRefusesAndADeadOnesLockIsRecovered) {
  const std::string d = testing::temp_dir("sweep-lock");
  const std::string spec = spec_file(d, "spec.json", kSmall);
  fs::create_directories(d + "/out");
  // This process plays the running sweep: it holds the lock and wrote its pid.
  const int fd = ::open((d + "/out/.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const std::string me = std::to_string(::getpid()) + "\n";
  ASSERT_EQ(::write(fd, me.data(), me.size()), ssize_t(me.size()));
  auto r = run_cli("sweep " + spec + " --out " + d + "/out --quiet");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: another sweep (pid " + std::to_string(::getpid()) + ") is writing to " + d +
                          "/out (it holds " + d + "/out/.lock); wait for it to finish, or give this sweep another --out"),
            std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d + "/out/runs")) << "the refused sweep trained";
  ::close(fd);  // as the kernel does when a sweep dies

  // The lock file of a dead sweep still names it: the next sweep takes over and says so.
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  write_file_atomic(d + "/out/.lock", std::to_string(dead) + "\n");
  r = run_cli("sweep " + spec + " --out " + d + "/out");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("note: " + d + "/out/.lock was left by sweep pid " + std::to_string(dead) +
                          ", which is no longer running; taking it over"),
            std::string::npos) << r.output;
  EXPECT_EQ(read_file(d + "/out/.lock"), "") << "a clean exit empties the lock";
}

TEST(SweepSafety, AnotherSpecOnTheSameOutNeedsForceWhichReplacesItWhole) {
  const std::string d = testing::temp_dir("sweep-other-spec");
  const std::string a = spec_file(d, "a.json", kSmall);
  const std::string b = spec_file(d, "b.json", R"({"task": "count01", "d-model": 8, "heads": 2, "steps": 20,
    "eval-every": 10, "eval-size": 50})");
  ASSERT_EQ(run_cli("sweep " + a + " --out " + d + "/out --quiet").code, 0);
  auto r = run_cli("sweep " + a + " --out " + d + "/out --quiet --json");  // the same spec: resumes
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output).at("skipped").get<int>(), 4);
  r = run_cli("sweep " + b + " --out " + d + "/out --quiet");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: --out " + d + "/out holds a sweep of another spec (its spec.json differs from " + b +
                          "); a sweep resumes only its own spec: pass --force to replace it whole, or choose another --out"),
            std::string::npos) << r.output;
  int runs = 0;
  for (const auto& e : fs::directory_iterator(d + "/out/runs")) runs += e.is_directory();
  EXPECT_EQ(runs, 4);
  r = run_cli("sweep " + b + " --out " + d + "/out --quiet --force");
  ASSERT_EQ(r.code, 0) << r.output;
  runs = 0;
  for (const auto& e : fs::directory_iterator(d + "/out/runs")) runs += e.is_directory();
  EXPECT_EQ(runs, 1) << "runs of the old spec survived --force";
  for (const auto& e : fs::directory_iterator(d))
    EXPECT_EQ(e.path().filename().string().find(".out.old-"), std::string::npos) << "the old sweep was left aside";
  // A directory of other files is not a sweep's.
  fs::create_directories(d + "/mine");
  write_file_atomic(d + "/mine/notes.txt", "keep");
  r = run_cli("sweep " + a + " --out " + d + "/mine --quiet");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("holds files that are not a sweep's (no spec.json)"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(d + "/mine/notes.txt"), "keep");
}

TEST(SweepSafety, MergeRefusesMissingAndDuplicateShardsUnlessPartial) {
  const std::string d = testing::temp_dir("sweep-merge-shards");
  const std::string spec = spec_file(d, "spec.json", kSmall);
  ASSERT_EQ(run_cli("sweep " + spec + " --out " + d + "/s0 --shard 0/2 --quiet").code, 0);
  ASSERT_EQ(run_cli("sweep " + spec + " --out " + d + "/s1 --shard 1/2 --quiet").code, 0);
  auto r = run_cli("sweep-merge " + d + "/s0 --out " + d + "/m");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: 1 of 2 shards missing (1/2): the merged table would hold 2 of 4 runs; give every "
                          "shard's directory, or pass --partial for a partial table"),
            std::string::npos) << r.output;
  r = run_cli("sweep-merge " + d + "/s0 " + d + "/s0 --out " + d + "/m");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: " + d + "/s0 and " + d + "/s0 are both shard 0/2; give each shard once"),
            std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d + "/m"));
  r = run_cli("sweep-merge " + d + "/s0 --out " + d + "/m --partial");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("partial: 2 of the grid's 4 runs"), std::string::npos) << r.output;
  // The merge's --out is an output too.
  r = run_cli("sweep-merge " + d + "/s0 " + d + "/s1 --out " + d + "/m");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("--out " + d + "/m already holds files; pass --force"), std::string::npos) << r.output;
  r = run_cli("sweep-merge " + d + "/s0 " + d + "/s1 --out " + d + "/m --force");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("merged 2 shards: 4 runs"), std::string::npos) << r.output;
}

TEST(SweepSafety, ABigGridNeedsYesAndDryRunEstimatesSizeDiskAndTime) {
  const std::string d = testing::temp_dir("sweep-grid-size");
  const std::string big = spec_file(d, "big.json", R"({"task": "count01", "steps": 100, "seeds": 20000})");
  auto r = run_cli("sweep " + big + " --out " + d + "/out");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("the grid has 20000 runs taking about"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("a sweep over 10000 runs or 20.0 GB of run directories needs --yes"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(d + "/out"));
  const std::string huge = spec_file(d, "huge.json", R"({"task": "count01", "seeds": 10000000})");
  r = run_cli("sweep " + huge + " --out " + d + "/out --yes");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("over the limit of 1000000"), std::string::npos) << r.output;
  const std::string wide = spec_file(d, "wide.json", R"({"task": "count01", "d-model": [8,16,32,64,128,256,512,1024,2048,4096],
    "heads": [1,2,4,8,16,32,64,128,256,512], "lr": [1,2,3,4,5,6,7,8,9,10], "steps": [1,2,3,4,5,6,7,8,9,10],
    "batch": [1,2,3,4,5,6,7,8,9,10], "warmup": [0,0,0,0,0,0,0,0,0,0], "seeds": 1000})");
  r = run_cli("sweep " + wide + " --out " + d + "/out --yes");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("the grid has 1000000000 runs (1000000 configurations x 1000 seeds); the limit is 10000000 runs"),
            std::string::npos) << r.output;

  // --dry-run on a small grid: the estimate, nothing run; then the real sweep's disk is near it.
  const std::string small = spec_file(d, "small.json", kSmall);
  r = run_cli("sweep " + small + " --out " + d + "/small --dry-run --jobs 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("4 runs (2 configurations x 2 seeds), 2 at a time"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("estimated disk: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("estimated time: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ms per training step on the first configuration (batch 256, "), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d + "/small")) << "--dry-run wrote something";
  r = run_cli("sweep " + small + " --out " + d + "/small --dry-run --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("n_runs").get<int>(), 4);
  EXPECT_GT(j.at("measured_step_seconds").get<double>(), 0);
  EXPECT_GT(j.at("estimated_seconds").get<double>(), 0);
  ASSERT_EQ(run_cli("sweep " + small + " --out " + d + "/small --quiet").code, 0);
  double bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(d + "/small/runs"))
    if (e.is_regular_file()) bytes += double(e.file_size());
  const double estimate = j.at("estimated_disk_bytes").get<double>();
  EXPECT_GT(estimate, 0.7 * bytes) << "estimated " << estimate << " bytes, the runs take " << bytes;
  EXPECT_LT(estimate, 1.3 * bytes) << "estimated " << estimate << " bytes, the runs take " << bytes;
}

}  // namespace
}  // namespace hc
