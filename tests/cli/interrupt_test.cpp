// Ctrl-C in train: the loop checkpoints, the command says where the checkpoint
// is and prints the exact --resume command, and exits 130; eval and a rerun of
// the same command on the unfinished directory name --resume instead of
// starting over; the resumed run ends bit-identical to an uninterrupted one and
// its summary counts only the steps it ran.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cli_util.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace cli_interrupt_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::run_cli;

const std::string kRun = "--task count01 --steps 1000 --batch 64 --eval-every 50 --eval-size 200 --seed 5 --threads 1";

// Runs `headcount args...` with its output in `log`, sends SIGINT once the
// first evaluation line (step 50) shows the loop running, and returns the
// output followed by "exit N" (or "signal N").
std::string interrupt_after_first_evaluation(std::vector<std::string> args, const std::string& log) {
  const pid_t pid = fork();
  if (pid < 0) return "";
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
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  auto text = [&] { return fs::exists(log) ? read_file(log) : std::string(); };
  while (text().find("step 50/1000") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  return text() + (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : "signal " + std::to_string(WTERMSIG(status))) + "\n";
}

TEST(Interrupt, CtrlCCheckpointsAndNamesTheResumeCommand) {
  const std::string dir = testing::temp_dir("interrupt");
  const std::string run = dir + "/run", log = dir + "/log.txt";
  std::vector<std::string> args = {"train", "--checkpoint-every", "0", "--out", run};
  std::istringstream words(kRun);
  for (std::string w; words >> w;) args.push_back(w);
  const std::string out = interrupt_after_first_evaluation(args, log);
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.find("exit 0\n"), std::string::npos) << "the run finished before Ctrl-C; give it more steps\n" << out;
  ASSERT_NE(out.find("exit 130\n"), std::string::npos) << "expected a clean stop with exit code 130\n" << out;
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

// Ctrl-C in a --force run over an existing run: the stopped run (with its
// checkpoint) takes the old one's place whole, so --resume continues it; the
// old run's files are gone and nothing is left beside.
TEST(Interrupt, CtrlCInAForcedRunSwapsTheStoppedRunIn) {
  const std::string dir = testing::temp_dir("interrupt-force");
  const std::string run = dir + "/run";
  ASSERT_EQ(run_cli("train --task max-of-list --steps 2 --eval-size 10 --quiet --out " + run).code, 0);
  fs::create_directories(run + "/analysis");
  std::vector<std::string> args = {"train", "--force", "--out", run};
  std::istringstream words(kRun);
  for (std::string w; words >> w;) args.push_back(w);
  const std::string out = interrupt_after_first_evaluation(args, dir + "/log.txt");
  ASSERT_EQ(out.find("exit 0\n"), std::string::npos) << "the run finished before Ctrl-C; give it more steps\n" << out;
  ASSERT_NE(out.find("exit 130\n"), std::string::npos) << out;
  EXPECT_NE(out.find("resume with: headcount train --resume " + run + "\n"), std::string::npos) << out;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(run)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"checkpoint.safetensors"}) << "the old run's files survived";
  std::vector<std::string> beside;
  for (const auto& e : fs::directory_iterator(dir)) beside.push_back(e.path().filename().string());
  std::sort(beside.begin(), beside.end());
  EXPECT_EQ(beside, (std::vector<std::string>{"log.txt", "run"}));
  auto resumed = run_cli("train --resume " + run + " --quiet");
  EXPECT_EQ(resumed.code, 0) << resumed.output;
}

}  // namespace cli_interrupt_test
}  // namespace hc
