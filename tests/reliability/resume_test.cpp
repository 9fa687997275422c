// Crash-safe checkpoints: a run killed with SIGKILL midway and resumed gives
// final weights bit-identical to an uninterrupted run; --resume refuses what it
// cannot continue; checkpoints round-trip and reject corruption.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "../cli/cli_util.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/safetensors.hpp"
#include "train/checkpoint.hpp"

namespace hc {
namespace reliability_resume_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::run_cli;

// train_log.csv without its elapsed_s column (the one that differs after a resume).
std::string log_without_elapsed(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

// Starts `headcount args...` in the background with its output discarded.
pid_t spawn_cli(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string cli = HC_CLI_PATH;
    argv.push_back(cli.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

const std::string kRun = "--task count01 --steps 1000 --batch 64 --eval-every 100 --eval-size 200 --seed 3 --threads 1";

TEST(Resume, KilledRunResumesToBitIdenticalWeights) {
  const std::string dir = testing::temp_dir("resume");
  auto ref = run_cli("train " + kRun + " --quiet --out " + dir + "/ref");
  ASSERT_EQ(ref.code, 0) << ref.output;

  std::vector<std::string> args = {"train", "--quiet", "--checkpoint-every", "100", "--out", dir + "/killed"};
  std::istringstream words(kRun);
  for (std::string w; words >> w;) args.push_back(w);
  const pid_t pid = spawn_cli(args);
  ASSERT_GT(pid, 0);
  const std::string ck = dir + "/killed/checkpoint.safetensors";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (!fs::exists(ck) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before it could be killed; give it more steps";
  ASSERT_TRUE(fs::exists(ck)) << "no checkpoint appeared within 300 s";
  EXPECT_FALSE(fs::exists(dir + "/killed/model.safetensors")) << "the killed run must not look finished";
  const Checkpoint before = load_checkpoint(ck);  // the kill never leaves a half-written checkpoint
  EXPECT_GT(before.step, 0);
  EXPECT_LT(before.step, 1000);

  // What a kill in the middle of an atomic write leaves behind; resuming clears it.
  write_file_atomic(dir + "/killed/.checkpoint.safetensors.tmp-Ab12Cd", "half a file");
  auto resumed = run_cli("train --resume " + dir + "/killed --threads 2 --json --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(nlohmann::json::parse(resumed.output).at("resumed_from").get<int64_t>(), before.step);
  const std::string a = read_file(dir + "/ref/model.safetensors");
  const std::string b = read_file(dir + "/killed/model.safetensors");
  EXPECT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == b) << "resumed weights differ from the uninterrupted run";
  EXPECT_EQ(log_without_elapsed(dir + "/ref/train_log.csv"), log_without_elapsed(dir + "/killed/train_log.csv"));
  EXPECT_EQ(read_file(dir + "/ref/metrics.json"), read_file(dir + "/killed/metrics.json"));
  EXPECT_FALSE(fs::exists(dir + "/killed/.checkpoint.safetensors.tmp-Ab12Cd"));
  // The run is finished now: there is nothing left to resume.
  auto again = run_cli("train --resume " + dir + "/killed");
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.output.find("finished at step 1000"), std::string::npos) << again.output;
}

TEST(Resume, CheckpointRoundTripsExactly) {
  const std::string dir = testing::temp_dir("ckpt-roundtrip");
  Checkpoint c;
  c.config = default_train_config("count01");
  c.config.model.n_layers = 2;
  const size_t n = ParamTable(c.config.model).total();
  for (size_t i = 0; i < n; ++i) {
    c.params.push_back(float(i) * 0.25f - 3.f);
    c.m.push_back(1e-3f * float(i % 7));
    c.v.push_back(1e-6f * float(i % 5));
  }
  c.step = 750, c.adam_steps = 748, c.skipped_batches = 2, c.elapsed_s = 1.5;
  c.log = "step,lr\n250,0.1\n";
  save_checkpoint(checkpoint_path(dir), c);
  const Checkpoint d = load_checkpoint(checkpoint_path(dir));
  EXPECT_EQ(d.params, c.params);
  EXPECT_EQ(d.m, c.m);
  EXPECT_EQ(d.v, c.v);
  EXPECT_EQ(d.step, 750);
  EXPECT_EQ(d.adam_steps, 748);
  EXPECT_EQ(d.skipped_batches, 2);
  EXPECT_EQ(d.log, c.log);
  EXPECT_EQ(to_json(d.config), to_json(c.config));
  EXPECT_FALSE(d.finished);
  // Nothing but the checkpoint is left in the directory (no temporary files).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(Resume, CorruptCheckpointsAreRefused) {
  const std::string dir = testing::temp_dir("ckpt-corrupt");
  Checkpoint c;
  c.config = default_train_config("count01");
  const size_t n = ParamTable(c.config.model).total();
  c.params.assign(n, 0.5f), c.m.assign(n, 0.f), c.v.assign(n, 0.f);
  c.step = 10, c.adam_steps = 10;
  const std::string p = dir + "/c.safetensors";
  auto expect_refused = [&](const Checkpoint& bad, const std::string& phrase) {
    save_checkpoint(p, bad);
    try {
      load_checkpoint(p);
      ADD_FAILURE() << "accepted a checkpoint that should fail with '" << phrase << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    }
  };
  Checkpoint b = c;
  b.adam_steps = 11;  // more updates than steps
  expect_refused(b, "inconsistent counters");
  b = c;
  b.m[3] = std::numeric_limits<float>::quiet_NaN();
  expect_refused(b, "NaN or infinite");
  b = c;
  b.step = 5000;  // beyond the configured steps
  expect_refused(b, "inconsistent counters");
  // A model file is not a checkpoint.
  st::File f = st::read(p);
  f.metadata.erase("headcount.checkpoint");
  st::write(p, f);
  EXPECT_THROW(load_checkpoint(p), Error);
  // A truncated checkpoint (what a non-atomic writer would leave) is refused.
  save_checkpoint(p, c);
  const std::string bytes = read_file(p);
  write_file_atomic(p, bytes.substr(0, bytes.size() - 100));
  EXPECT_THROW(load_checkpoint(p), Error);
}

TEST(Resume, RefusesConfigFlagsMissingCheckpointsAndOtherDirectories) {
  const std::string dir = testing::temp_dir("resume-refusals");
  fs::create_directories(dir + "/empty");
  auto r = run_cli("train --resume " + dir + "/empty");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("there is no " + dir + "/empty/checkpoint.safetensors"), std::string::npos) << r.output;
  r = run_cli("train --resume " + dir + "/empty --lr 0.1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("drop --lr"), std::string::npos) << r.output;
  r = run_cli("train --resume " + dir + "/empty --out " + dir + "/other");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("drop --out"), std::string::npos) << r.output;
}

}  // namespace reliability_resume_test
}  // namespace hc
