// Ctrl-C in train: the loop checkpoints, the command says where the checkpoint
// is and prints the exact --resume command, and exits 130; eval and a rerun of
// the same command on the unfinished directory name --resume instead of
// starting over; the resumed run ends bit-identical to an uninterrupted one and
// its summary counts only the steps it ran.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cli_util.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

const std::string kRun = "--task count01 --steps 1000 --batch 64 --eval-every 50 --eval-size 200 --seed 5 --threads 1";

TEST(Interrupt, CtrlCCheckpointsAndNamesTheResumeCommand) {
  const std::string dir = testing::temp_dir("interrupt");
  const std::string run = dir + "/run", log = dir + "/log.txt";
  std::vector<std::string> args = {"train", "--checkpoint-every", "0", "--out", run};
  std::istringstream words(kRun);
  for (std::string w; words >> w;) args.push_back(w);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::vector<char*> argv;
    std::string cli = HC_CLI_PATH;
    argv.push_back(cli.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    freopen(log.c_str(), "w", stderr);
    dup2(fileno(stderr), fileno(stdout));
    execv(argv[0], argv.data());
    _exit(127);
  }
  // The first progress line (step 50) shows the loop is running, with the handler installed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  auto text = [&] { return fs::exists(log) ? read_file(log) : std::string(); };
  while (text().find("step 50/1000") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string out = text();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of stopping cleanly\n" << out;
  ASSERT_NE(WEXITSTATUS(status), 0) << "the run finished before Ctrl-C; give it more steps\n" << out;
  EXPECT_EQ(WEXITSTATUS(status), 130) << out;
  const size_t at = out.find("interrupted at step ");
  ASSERT_NE(at, std::string::npos) << out;
  const int step = std::stoi(out.substr(at + 20));
  EXPECT_GE(step, 50);
  EXPECT_LT(step, 1000);
  const std::string s = std::to_string(step);
  EXPECT_NE(out.find("interrupted at step " + s + " of 1000; the checkpoint (step " + s + ") is " + run +
                     "/checkpoint.safetensors\nresume with: headcount train --resume " + run + "\n"),
            std::string::npos) << out;
  EXPECT_TRUE(fs::exists(run + "/checkpoint.safetensors"));  // written although --checkpoint-every 0
  EXPECT_FALSE(fs::exists(run + "/model.safetensors")) << "an interrupted run must not look finished";

  auto e = run_cli("eval " + run);
  EXPECT_EQ(e.code, 1);
  EXPECT_NE(e.output.find("error: '" + run + "' holds an unfinished run (stopped at step " + s +
                          " of 1000): finish it with 'headcount train --resume " + run + "'"),
            std::string::npos) << e.output;
  auto again = run_cli("train " + kRun + " --quiet --out " + run);
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.output.find("error: " + run + " holds an unfinished run (stopped at step " + s +
                              " of 1000): continue it with 'headcount train --resume " + run +
                              "', or pass --force to replace it with a new run"),
            std::string::npos) << again.output;

  auto resumed = run_cli("train --resume " + run + " --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("steps: " + std::to_string(1000 - step) + " of 1000 in this run (resumed at step " + s +
                                "), "),
            std::string::npos) << resumed.output;
  auto ref = run_cli("train " + kRun + " --quiet --out " + dir + "/ref");
  ASSERT_EQ(ref.code, 0) << ref.output;
  EXPECT_TRUE(read_file(dir + "/ref/model.safetensors") == read_file(run + "/model.safetensors"))
      << "the interrupted and resumed run differs from the uninterrupted one";
}

}  // namespace
}  // namespace hc
