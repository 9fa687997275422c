// The command line as a user meets it: the fixture accuracy through `eval`,
// bit-identical training at 1 and 2 threads, and training to the targets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace cli_cli_test {  // this file's own names (unity builds batch test files)
using testing::fixture;
using testing::run_cli;
namespace fs = std::filesystem;

TEST(Cli, EvalReproducesPyTorchAccuracyOnTheFixture) {
  auto r = run_cli("eval " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --eval-set " +
                   fixture("max_of_list_torch.test.txt") + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  const double expected = testing::fixture_json("max_of_list_torch.expected.json").at("accuracy").get<double>();
  EXPECT_EQ(j.at("n_examples").get<int>(), 5000);
  EXPECT_LE(std::abs(j.at("accuracy").get<double>() - expected) * 5000, 1.0 + 1e-9);
}

TEST(Cli, ImportThenEvalGivesTheSameAccuracy) {
  const std::string dir = testing::temp_dir("import");
  auto r = run_cli("import " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --out " + dir + "/run");
  ASSERT_EQ(r.code, 0) << r.output;
  auto e1 = run_cli("eval " + dir + "/run --eval-set " + fixture("max_of_list_torch.test.txt") + " --json");
  auto e2 = run_cli("eval " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --eval-set " +
                    fixture("max_of_list_torch.test.txt") + " --json");
  ASSERT_EQ(e1.code, 0) << e1.output;
  EXPECT_EQ(nlohmann::json::parse(e1.output).at("accuracy"), nlohmann::json::parse(e2.output).at("accuracy"));
}

TEST(Cli, SameSeedGivesIdenticalWeightsAtOneAndTwoThreads) {
  const std::string dir = testing::temp_dir("determinism");
  for (const std::string task : {"max-of-list", "count01"}) {
    const std::string common = "train --task " + task + " --steps 60 --batch 200 --eval-every 30 --quiet ";
    auto a = run_cli(common + "--seed 7 --threads 1 --out " + dir + "/" + task + "-t1");
    auto b = run_cli(common + "--seed 7 --threads 2 --out " + dir + "/" + task + "-t2");
    ASSERT_EQ(a.code, 0) << a.output;
    ASSERT_EQ(b.code, 0) << b.output;
    const std::string w1 = read_file(dir + "/" + task + "-t1/model.safetensors");
    const std::string w2 = read_file(dir + "/" + task + "-t2/model.safetensors");
    EXPECT_GT(w1.size(), 1000u);
    EXPECT_TRUE(w1 == w2) << task << ": weights differ between 1 and 2 threads";
    // A different seed gives different weights (the comparison can fail).
    auto c = run_cli(common + "--seed 8 --threads 2 --out " + dir + "/" + task + "-s8");
    ASSERT_EQ(c.code, 0) << c.output;
    EXPECT_FALSE(w1 == read_file(dir + "/" + task + "-s8/model.safetensors"));
  }
}

TEST(Cli, RunDirectoryHoldsConfigLogAndWeights) {
  const std::string dir = testing::temp_dir("rundir") + "/run";
  auto r = run_cli("train --task count01 --steps 20 --eval-every 10 --quiet --json --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* f : {"config.json", "model.safetensors", "train_log.csv", "metrics.json"})
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  const std::string log = read_file(dir + "/train_log.csv");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 3);  // header + steps 10 and 20
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("steps").get<int>(), 20);
}

TEST(Cli, MaxOfListDefaultsReportPuzzleParameterCount) {
  // 18,944 parameters: the puzzle 1a configuration with every default.
  const std::string dir = testing::temp_dir("params") + "/run";
  auto r = run_cli("train --task max-of-list --steps 1 --eval-size 10 --quiet --json --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output).at("parameters").get<int>(), 18944);
}

TEST(Cli, Count01PaperConfigurationTrainsToTarget) {
  const std::string dir = testing::temp_dir("count01-train") + "/run";
  auto r = run_cli("train --task count01 --d-model 32 --heads 16 --target-accuracy 0.99 --quiet --json --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_GE(j.at("accuracy").get<double>(), 0.99);
  EXPECT_GE(j.at("eos_accuracy").get<double>(), 0.99);
}

TEST(Cli, MaxOfListTrainsToTarget) {
  // Default recipe, stopped once held-out accuracy reaches 99.5%.
  const std::string dir = testing::temp_dir("mol-train") + "/run";
  auto r = run_cli("train --task max-of-list --target-accuracy 0.995 --eval-every 250 --quiet --json --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_GE(j.at("accuracy").get<double>(), 0.995);
  EXPECT_TRUE(j.at("reached_target").get<bool>());
}

TEST(Cli, DataWritesTheHeldOutSetThatEvalGenerates) {
  // `data --split test --seed S --n N` is the set `eval --seed S --n N` uses, so
  // evaluating on the file gives the same figures; the text form round-trips.
  const std::string dir = testing::temp_dir("data");
  auto w = run_cli("data --task count01 --n 300 --seed 3 --out " + dir + "/set.txt");
  ASSERT_EQ(w.code, 0) << w.output;
  const std::string text = read_file(dir + "/set.txt");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 300);
  EXPECT_NE(text.find(" = "), std::string::npos);
  const std::string model = fixture("count01_tl.safetensors") + " --task count01 --json";
  auto a = run_cli("eval " + model + " --eval-set " + dir + "/set.txt");
  auto b = run_cli("eval " + model + " --n 300 --seed 3");
  ASSERT_EQ(a.code, 0) << a.output;
  ASSERT_EQ(b.code, 0) << b.output;
  EXPECT_EQ(nlohmann::json::parse(a.output).at("loss"), nlohmann::json::parse(b.output).at("loss"));
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"", "train", "eval", "inspect", "import", "data"}) {
    auto r = run_cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << cmd << ": " << r.output;
  }
}

TEST(Cli, InspectShowsPredictionAndPerHeadAttention) {
  auto r = run_cli("inspect " + fixture("max_of_list_torch.safetensors") +
                   " --task max-of-list --example \"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\" --json");
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("prediction"), "7");
  ASSERT_EQ(j.at("attention_patterns").size(), 4u);  // one entry per head of the one layer
  for (const auto& a : j.at("attention_patterns")) {
    EXPECT_EQ(a.at("layer"), 0);
    ASSERT_EQ(a.at("weights").size(), 11u);  // keys 0..10 (ANS)
    double s = 0;
    for (double w : a.at("weights")) s += w;
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
}

}  // namespace cli_cli_test
}  // namespace hc
