// The option table: `headcount train` and sweep specs accept exactly the same
// options, with the same checks, and build the same configuration.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "../cli/cli_util.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "sweep/options.hpp"
#include "sweep/spec.hpp"
#include "tasks/registry.hpp"
#include "train/options.hpp"

namespace hc {
namespace train_options_test {  // this file's own names (unity builds batch test files)
using testing::run_cli;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A value each option accepts: its task's default, or one from its declared
// range where the default is "absent" (--init-std).
nlohmann::json sample_value(const TrainOption& o) {
  const OptionSpec& s = o.spec;
  // The file task's options are its data files (they have no default).
  if (o.tasks == std::vector<std::string>{"file"})
    return std::string(HC_SOURCE_DIR) + "/tests/data/file_task/" + (s.name == "train-set" ? "train.txt" : "test.txt");
  try {
    const nlohmann::json d = o.get(default_train_config(o.tasks.empty() ? std::string("count01") : o.tasks.front()));
    if (s.name != "task") return check_train_value(o, d);
  } catch (const Error&) {
  }
  switch (s.type) {
    case OptionType::Int: return int64_t(s.min);
    case OptionType::Float: return !s.min_open ? s.min : std::isfinite(s.max) && !s.max_open ? s.max : 1.0;
    case OptionType::Bool: return true;
    case OptionType::Seed: return 5;
    case OptionType::String: return s.choices.empty() ? nlohmann::json(std::string("count01")) : nlohmann::json(s.choices[0]);
  }
  return nullptr;
}

// The flags of `headcount train --help`.
std::set<std::string> train_flags() {
  const auto r = run_cli("train --help");
  EXPECT_EQ(r.code, 0) << r.output;
  std::set<std::string> flags;
  const std::regex flag(R"((?:^|[\s,])--([a-z0-9][a-z0-9-]*))");
  for (std::sregex_iterator it(r.output.begin(), r.output.end(), flag), end; it != end; ++it) flags.insert((*it)[1]);
  return flags;
}

TEST(OptionTable, TheCommandLineAndSweepSpecsAcceptExactlyTheSameOptions) {
  // Flags of `train` that are about the invocation, not the configuration.
  const std::set<std::string> invocation = {"help", "threads", "out", "force", "quiet", "json", "checkpoint-every",
                                            "resume", "skip-bad-batches", "max-bad-in-a-row"};
  std::set<std::string> cli;
  for (const auto& f : train_flags())
    if (!invocation.count(f)) cli.insert(f);
  const auto names = train_option_names();
  EXPECT_EQ(cli, std::set<std::string>(names.begin(), names.end()));

  // The sweep takes each of them, in both spellings ("seed" as "seeds").
  for (const auto& o : train_options()) {
    if (o.spec.name == "seed") continue;
    nlohmann::json spec = {{o.spec.name, sample_value(o)}};
    if (!o.tasks.empty()) spec["task"] = o.tasks.front();
    if (spec.value("task", "") == "file")  // a file task needs both of its files
      for (const char* f : {"train-set", "eval-set"}) spec[f] = sample_value(train_option(f, "test"));
    for (const std::string& key : {o.spec.name, o.spec.key()}) {
      nlohmann::json s = spec;
      if (key != o.spec.name) s[key] = s[o.spec.name], s.erase(o.spec.name);
      EXPECT_NO_THROW(parse_spec(s.dump(), "spec.json")) << s.dump();
      EXPECT_NO_THROW(config_from_options(s, "run")) << s.dump();
    }
  }
  // And refuses what the table does not hold, suggesting the nearest name.
  EXPECT_NE(error_of([] { parse_spec(R"({"d-modle": 8})", "spec.json"); }).find("did you mean 'd-model'?"),
            std::string::npos);
  const auto r = run_cli("train --d-modle 8");
  EXPECT_NE(r.code, 0);
}

TEST(OptionTable, EveryOptionIsRangeCheckedTheSameWayInBothPlaces) {
  // "steps": "20" is refused when the spec is read, before any run.
  std::string msg = error_of([] { parse_spec(R"({"task": "count01", "steps": "20"})", "spec.json"); });
  EXPECT_EQ(msg, "spec.json: option 'steps' must be an integer between 1 and 100000000 (got \"20\")");
  msg = error_of([] { parse_spec(R"({"task": "count01", "d_model": [16, 0]})", "spec.json"); });
  EXPECT_EQ(msg, "spec.json: option 'd_model' must be an integer between 1 and 65536 (got 0)");
  msg = error_of([] { parse_spec(R"({"init-std": -1})", "spec.json"); });
  EXPECT_NE(msg.find("must be a number in (0, 100]"), std::string::npos) << msg;
  msg = error_of([] { parse_spec(R"({"seeds": [-1]})", "spec.json"); });
  EXPECT_NE(msg.find("between 0 and 18446744073709551615"), std::string::npos) << msg;
  msg = error_of([] { parse_spec(R"({"seeds": 10000000})", "spec.json"); });
  EXPECT_NE(msg.find("limit of 1000000"), std::string::npos) << msg;
  msg = error_of([] { parse_spec(R"({"d-model": 8, "d_model": 16})", "spec.json"); });
  EXPECT_NE(msg.find("given twice"), std::string::npos) << msg;

  // The same values on the command line.
  for (const auto& [args, phrase] : std::vector<std::pair<std::string, std::string>>{
           {"--seed -1", "--seed must be an integer between 0 and 18446744073709551615 (2^64-1) (got -1)"},
           {"--seed 18446744073709551616", "(got 18446744073709551616)"},
           {"--init-std -1", "--init-std must be a number in (0, 100] (got -1)"},
           {"--steps 20x", "--steps must be an integer between 1 and 100000000 (got 20x)"},
           {"--eval-size 2000000", "--eval-size must be an integer between 1 and 1000000"},
           {"--biases maybe", "--biases must be true or false (got 'maybe')"},
           {"--task count01 --list-len 7", "--list-len is a max-of-list or max-of-list-digits option, but the task is count01"},
       }) {
    const auto r = run_cli("train --quiet --out /nonexistent/never " + args);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.output.find(phrase), std::string::npos) << args << "\n" << r.output;
  }
}

TEST(OptionTable, TheCommandLineAndASweepBuildTheSameConfiguration) {
  const std::string dir = testing::temp_dir("option-table-same-config");
  const auto r = run_cli("train --quiet --task count01 --max-len 6 --d-model 8 --heads 2 --biases --ties-as-4 "
                         "--steps 2 --eval-every 2 --eval-size 16 --batch 8 --init-std 0.5 --seed 3 --out " + dir + "/run");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json spec = {{"task", "count01"}, {"max_len", 6},   {"d_model", 8},    {"heads", 2},
                               {"biases", true},   {"ties-as-4", true}, {"steps", 2},   {"eval-every", 2},
                               {"eval_size", 16},  {"batch", 8},      {"init-std", 0.5}, {"seed", 3}};
  const nlohmann::json from_cli = nlohmann::json::parse(read_file(dir + "/run/config.json"));
  EXPECT_EQ(to_json(config_from_options(spec, "run")), from_cli);
  EXPECT_EQ(from_cli["model"]["biases"], true);  // `--biases` alone, followed by another option
}

TEST(OptionTable, ResumeRefusesEveryOptionOfTheTable) {
  for (const auto& o : train_options()) {
    const nlohmann::json v = sample_value(o);
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    const auto r = run_cli("train --resume /nonexistent/run " + o.spec.flag() + " " + text);
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.output.find("drop " + o.spec.flag()), std::string::npos) << o.spec.name << "\n" << r.output;
  }
}

TEST(OptionTable, HelpShowsEachTasksDefault) {
  const auto r = run_cli("train --help");
  EXPECT_NE(r.output.find("Residual width D (max-of-list 64, count01 32, max-of-list-digits 64, count-unique 32, file 64)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Layers L (max-of-list 1, count01 1, max-of-list-digits 2, count-unique 2, file 1)"), std::string::npos) << r.output;
}

}  // namespace train_options_test
}  // namespace hc
