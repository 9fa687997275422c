// docs/ matches the program: every option each subcommand's --help lists is in
// that command's section of docs/CLI.md (a task's own option, which every
// command that takes a task lists, needs one line anywhere in CLI.md: a new
// task's options are documented once), the exit codes of option parsing
// errors are the ones CLI.md states, and every file a run directory, analyze
// and a sweep write is named in docs/FORMATS.md (reproduce's files: in
// tests/studies/reproduce_test.cpp, which makes a miniature reproduction).
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "core/atomic_file.hpp"
#include "docs_util.hpp"
#include "train/options.hpp"

namespace hc {
namespace cli_docs_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::run_cli;

// The text of "## NAME" up to the next "## " heading.
std::string section(const std::string& doc, const std::string& name) {
  const std::string head = "\n## " + name + "\n";
  const size_t a = doc.find(head);
  if (a == std::string::npos) return "";
  const size_t b = doc.find("\n## ", a + head.size());
  return doc.substr(a, (b == std::string::npos ? doc.size() : b) - a);
}

// "--name" followed by something that cannot continue an option name.
bool mentions_option(const std::string& text, const std::string& opt) {
  for (size_t p = text.find(opt); p != std::string::npos; p = text.find(opt, p + 1)) {
    const size_t e = p + opt.size();
    if (e == text.size() || !(std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '-')) return true;
  }
  return false;
}

TEST(Docs, EveryOptionOfEverySubcommandIsInItsSectionOfCliMd) {
  const std::string doc = read_file(std::string(HC_SOURCE_DIR) + "/docs/CLI.md");
  const auto help = run_cli("--help");
  std::set<std::string> commands;
  const std::regex sub("\n  ([a-z][a-z-]+) ");
  for (std::sregex_iterator it(help.output.begin(), help.output.end(), sub), end; it != end; ++it)
    commands.insert((*it)[1].str());
  ASSERT_GE(commands.size(), 10u) << help.output;
  // The options registered tasks declare (src/tasks/), whatever the tasks are.
  std::set<std::string> task_options;
  for (const TrainOption& o : train_options())
    if (!o.tasks.empty()) task_options.insert(o.spec.flag());
  EXPECT_GE(task_options.size(), 2u) << "no task options found in the option table";
  const std::regex opt("(^|[ ,])(--[a-z0-9][a-z0-9-]*)");
  for (const auto& cmd : commands) {
    const std::string sec = section(doc, cmd);
    ASSERT_FALSE(sec.empty()) << "docs/CLI.md has no section \"## " << cmd << "\"";
    const auto h = run_cli(cmd + " --help");
    ASSERT_EQ(h.code, 0) << h.output;
    int n = 0;
    std::istringstream lines(h.output);
    for (std::string line; std::getline(lines, line);) {
      // Option lines start with spaces and the option; descriptions follow.
      if (line.rfind("  -", 0) != 0) continue;
      for (std::sregex_iterator it(line.begin(), line.end(), opt), end; it != end; ++it) {
        const std::string o = (*it)[2].str();
        if (o == "--help") continue;
        ++n;
        if (task_options.count(o)) {
          EXPECT_TRUE(mentions_option(doc, o)) << "the task option " << o << " (" << cmd
                                               << " --help) is nowhere in docs/CLI.md: add a line for it";
          continue;
        }
        EXPECT_TRUE(mentions_option(sec, o)) << cmd << " " << o << " is not in the \"## " << cmd
                                             << "\" section of docs/CLI.md";
      }
    }
    if (cmd != "sweep-merge") {
      EXPECT_GE(n, 2) << cmd << ": no options parsed from\n" << h.output;
    }
  }
}

TEST(Docs, ParseErrorExitCodesAreTheOnesCliMdStates) {
  const std::string doc = read_file(std::string(HC_SOURCE_DIR) + "/docs/CLI.md");
  // A value that does not convert (the option table's error, exit 1), an
  // unknown option, a missing argument, options that exclude each other.
  const std::vector<std::pair<std::string, int>> cases = {{"train --steps abc", 1},
                                                          {"train --no-such-option", 109},
                                                          {"import", 106},
                                                          {"inspect x --example \"0 =\" --index 2", 108}};
  for (const auto& [args, code] : cases) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, code) << args << ": " << r.output;
    EXPECT_NE(doc.find("| " + std::to_string(code) + " |"), std::string::npos)
        << "docs/CLI.md's exit code table has no row for " << code << " (" << args << ")";
  }
}

TEST(Docs, EveryFileOfARunDirectoryAnalyzeAndASweepIsInFormatsMd) {
  const std::string dir = testing::temp_dir("docs-files");
  auto t = run_cli("train --task count01 --steps 20 --eval-every 10 --eval-size 100 --quiet --out " + dir + "/run");
  ASSERT_EQ(t.code, 0) << t.output;
  testing::expect_files_documented(dir + "/run", "run directory");
  // Both tasks' analyses (Count01's include the paper's per-head tables), with the report.
  auto a = run_cli("analyze " + testing::fixture("count01_tl.safetensors") + " --task count01 --n 300 --quiet --out " +
                   dir + "/c01");
  ASSERT_EQ(a.code, 0) << a.output;
  testing::expect_files_documented(dir + "/c01", "analyze (Count01)");
  auto m = run_cli("analyze " + testing::fixture("max_of_list_torch.safetensors") +
                   " --task max-of-list --n 300 --quiet --no-report --out " + dir + "/mol");
  ASSERT_EQ(m.code, 0) << m.output;
  testing::expect_files_documented(dir + "/mol", "analyze (Max-of-List)");
  write_file_atomic(dir + "/spec.json", R"({"task": "count01", "d-model": 8, "heads": 2, "steps": 20, "eval-every": 20,
    "eval-size": 100, "seeds": 2, "analyses": ["ablation", "head_metrics"]})");
  auto s = run_cli("sweep " + dir + "/spec.json --quiet --out " + dir + "/sweep");
  ASSERT_EQ(s.code, 0) << s.output;
  testing::expect_files_documented(dir + "/sweep", "sweep");
}

}  // namespace
}  // namespace hc
