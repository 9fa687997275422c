// Sweep specs: the grid, and bad specs refused before anything runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "sweep/spec.hpp"

namespace hc {
namespace sweep_spec_test {  // this file's own names (unity builds batch test files)
TEST(SweepSpec, GridIsTheProductOfListsWithSeedsInnermost) {
  SweepSpec s = parse_spec(R"({"task": "count01", "d-model": [8, 16], "heads": [2, 4], "steps": 40, "seeds": 3})", "t");
  auto runs = expand(s);
  ASSERT_EQ(runs.size(), 12u);
  EXPECT_EQ(runs[0].options.at("d-model"), 8);
  EXPECT_EQ(runs[0].options.at("heads"), 2);
  EXPECT_EQ(runs[0].options.at("seed"), 1);
  EXPECT_EQ(runs[2].options.at("seed"), 3);
  EXPECT_EQ(runs[3].options.at("heads"), 4);   // the last list varies fastest after seeds
  EXPECT_EQ(runs[6].options.at("d-model"), 16);
  EXPECT_EQ(runs[11].options.at("steps"), 40);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(runs[i].index, i);
  EXPECT_EQ(s.columns(), (std::vector<std::string>{"task", "d_model", "heads", "steps", "seed"}));
}

TEST(SweepSpec, SeedsMayBeAList) {
  auto runs = expand(parse_spec(R"({"task": "count01", "seeds": [5, 9]})", "t"));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].options.at("seed"), 9);
}

void expect_spec_error(const std::string& text, const std::string& phrase) {
  try {
    parse_spec(text, "spec.json");
    FAIL() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("spec.json"), std::string::npos) << e.what();
  }
}

TEST(SweepSpec, BadSpecsAreRefusedWithTheReason) {
  expect_spec_error(R"({"task": "count01", "d-modle": [8]})", "unknown option 'd-modle'");
  expect_spec_error(R"({"task": "count01", "heads": []})", "empty list");
  expect_spec_error(R"({"task": "count01", "heads": [2, )", "not valid JSON");
  expect_spec_error(R"([1, 2])", "JSON object");
  expect_spec_error(R"({"task": "count01", "seeds": 0})", "seeds");
  expect_spec_error(R"({"task": "count01", "seed": 3})", "\"seeds\"");
  expect_spec_error(R"({"task": "count01", "heads": [[2]]})", "list elements");
  expect_spec_error(R"({"task": "count01", "analyses": ["telepathy"]})", "unknown analysis");
  // head_metrics is for one-layer Count01 models only: every run of the grid is checked.
  expect_spec_error(R"({"analyses": ["head_metrics"]})", "this is a max-of-list model");
  expect_spec_error(R"({"task": ["count01", "max-of-list"], "analyses": ["head_metrics"]})",
                    "this is a max-of-list model (run 2 of the grid");
  expect_spec_error(R"({"task": "count01", "layers": [1, 2], "analyses": ["head_metrics"]})",
                    "this is a 2-layer Count01 model");
}

TEST(SweepSpec, BothSpellingsWorkAndColumnsKeepUnderscores) {
  SweepSpec s = parse_spec(R"({"task": "count01", "d_model": [8, 16], "eval-every": 5})", "t");
  EXPECT_EQ(s.columns(), (std::vector<std::string>{"task", "d_model", "eval_every", "seed"}));
  EXPECT_EQ(expand(s)[1].options.at("d_model"), 16);
  expect_spec_error(R"({"task": "count01", "d-modle": [8]})", "(did you mean 'd-model'?)");
  expect_spec_error(R"({"task": "count01", "sedes": 2})", "(did you mean 'seeds'?)");
}

TEST(SweepSpec, ValuesAreTypeAndRangeCheckedBeforeAnyRun) {
  expect_spec_error(R"({"task": "count01", "steps": "20"})", "option 'steps' must be an integer between 1 and 100000000 (got \"20\")");
  expect_spec_error(R"({"task": "count01", "lr": [0.001, -1]})", "option 'lr' must be a number > 0 (got -1)");
  expect_spec_error(R"({"task": "count01", "biases": "yes"})", "option 'biases' must be true or false");
  expect_spec_error(R"({"task": "count01", "pos": "sinusoidal"})", "option 'pos' must be one of none or learned");
  expect_spec_error(R"({"task": "count02"})", "unknown task 'count02'");
  expect_spec_error(R"({"task": "count01", "noise": 1})", "option 'noise' must be a number in [0, 1)");
  expect_spec_error(R"({"task": "count01", "seeds": 10000000})", "over the limit of 1000000");
  expect_spec_error(R"({"task": "count01", "seeds": [1, 18446744073709551616]})", "2^64-1");
}

TEST(SweepSpec, AByteOrderMarkIsSkipped) {
  const std::string path = ::testing::TempDir() + "/hc_spec_bom.json";
  write_file_atomic(path, "\xEF\xBB\xBF{\"task\": \"count01\", \"heads\": [2, 4]}");
  EXPECT_EQ(expand(load_spec(path)).size(), 2u);
  std::filesystem::remove(path);
}

TEST(SweepSpec, HeadMetricsIsAKnownAnalysis) {
  const auto& known = known_analyses();
  EXPECT_NE(std::find(known.begin(), known.end(), "head_metrics"), known.end());
  SweepSpec s = parse_spec(R"({"task": "count01", "layers": 1, "analyses": ["ablation", "head_metrics"]})", "t");
  EXPECT_EQ(s.analyses, (std::vector<std::string>{"ablation", "head_metrics"}));
}

}  // namespace sweep_spec_test
}  // namespace hc
