// The puzzle series' tasks through the command line (puzzle 1b,
// max-of-list-digits; the May puzzle, count-unique): every command accepts
// them, bad lines get errors with their line numbers, and the PyTorch-trained
// two-layer fixtures import from their puzzle folders and safetensors.
#include <gtest/gtest.h>

#include <filesystem>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace cli_puzzle_tasks_cli_test {

using testing::fixture;
using testing::run_cli;
namespace fs = std::filesystem;

nlohmann::json json_of(const testing::CliResult& r) {
  const size_t at = r.output.find('{');  // notes on stderr come first
  return nlohmann::json::parse(r.output.substr(at == std::string::npos ? 0 : at));
}

TEST(CliPuzzleTasks, FixtureFoldersEvaluateToPyTorchsAccuracyWithParts) {
  for (const char* dir : {"digits", "unique"}) {
    const std::string d = fixture(std::string("puzzle2/") + dir);
    auto r = run_cli("eval " + d + " --eval-set " + d + "/eval.txt --json");
    ASSERT_EQ(r.code, 0) << r.output;
    const auto j = json_of(r);
    const auto expected = testing::fixture_json(std::string("puzzle2/") + dir + "/expected.json");
    EXPECT_EQ(j.at("task"), std::string(dir) == "digits" ? "max-of-list-digits" : "count-unique");
    EXPECT_LE(std::abs(j.at("n_correct").get<int>() - expected.at("correct").get<int>()), 1) << r.output;
    for (const auto& [key, part] : j.at("accuracy_parts").items())
      EXPECT_LE(std::abs(part.at("correct").get<int>() - expected.at(key).at("correct").get<int>()), 1) << key;
  }
}

TEST(CliPuzzleTasks, ImportOfSafetensorsWithThePuzzleConfigBesideIt) {
  const std::string out = testing::temp_dir("puzzle2-import");
  auto r = run_cli("import " + fixture("puzzle2/unique/weights.safetensors") + " --layout puzzle --out " + out + "/run");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("task count-unique (10 symbols, strings of 10)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("as task count-unique: L2 D32 H4 E8 V22 T12, pos none"), std::string::npos) << r.output;
  auto a = run_cli("eval " + out + "/run --eval-set " + fixture("puzzle2/unique/eval.txt") + " --json");
  auto b = run_cli("eval " + fixture("puzzle2/unique") + " --eval-set " + fixture("puzzle2/unique/eval.txt") + " --json");
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_EQ(json_of(a).at("accuracy_parts"), json_of(b).at("accuracy_parts"));
}

TEST(CliPuzzleTasks, TrainWritesThePartsToSummaryLogAndMetrics) {
  const std::string out = testing::temp_dir("puzzle2-train");
  auto r = run_cli("train --task max-of-list-digits --list-len 3 --d-model 16 --heads 2 --steps 20 --eval-every 10 "
                   "--eval-size 100 --batch 32 --threads 1 --quiet --out " + out + "/run");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("  tens_digit "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  ones_digit "), std::string::npos) << r.output;
  const std::string log = read_file(out + "/run/train_log.csv");
  EXPECT_EQ(log.substr(0, log.find('\n')),
            "step,lr,train_loss,test_loss,test_accuracy,test_eos_accuracy,elapsed_s,test_tens_digit,test_ones_digit");
  const auto m = nlohmann::json::parse(read_file(out + "/run/metrics.json"));
  EXPECT_EQ(m.at("accuracy_parts").at("tens_digit").at("n"), 100);

  auto c = run_cli("train --task count-unique --seq-len 6 --alphabet 4 --d-model 8 --heads 2 --steps 10 --eval-every 10 "
                   "--eval-size 100 --batch 16 --threads 1 --json --out " + out + "/cu");
  ASSERT_EQ(c.code, 0) << c.output;
  EXPECT_NE(c.output.find("split: count 1: 4 distinct strings, 1 held out and 3 for training (by hash rank)"),
            std::string::npos) << c.output;
  const auto j = json_of(c);
  EXPECT_EQ(j.at("accuracy_parts").size(), 4u);  // counts 1..min(N, V)
  // No EOS in count-unique: the text summary does not claim one.
  auto e = run_cli("eval " + out + "/cu --n 50");
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_EQ(e.output.find("EOS"), std::string::npos) << e.output;
  EXPECT_NE(e.output.find("count_4"), std::string::npos) << e.output;
}

TEST(CliPuzzleTasks, DataInspectAnalyzeAndSweepAcceptTheTasks) {
  const std::string out = testing::temp_dir("puzzle2-commands");
  auto d = run_cli("data --task count-unique --n 3");
  ASSERT_EQ(d.code, 0) << d.output;
  EXPECT_NE(d.output.find("split: count 2: 45,990 distinct strings"), std::string::npos) << d.output;
  EXPECT_NE(d.output.find(" ANS #"), std::string::npos) << d.output;
  auto d2 = run_cli("data --task max-of-list-digits --list-len 2 --n 2 --split train");
  ASSERT_EQ(d2.code, 0) << d2.output;
  EXPECT_NE(d2.output.find("BOS "), std::string::npos) << d2.output;

  auto i = run_cli("inspect " + fixture("puzzle2/digits") + " --example \"BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 7 EOS\"");
  ASSERT_EQ(i.code, 0) << i.output;
  // Prompts without the answer: two digit tokens and EOS complete 1b's, the
  // count token count-unique's (no EOS).
  i = run_cli("inspect " + fixture("puzzle2/digits") + " --example \"BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS\"");
  ASSERT_EQ(i.code, 0) << i.output;
  EXPECT_NE(i.output.find("ANS 4 7 EOS  (--example)"), std::string::npos) << i.output;
  i = run_cli("inspect " + fixture("puzzle2/unique") + " --example \"BOS a b c d e f g h i a ANS\"");
  ASSERT_EQ(i.code, 0) << i.output;
  EXPECT_NE(i.output.find("ANS #9  (--example)"), std::string::npos) << i.output;
  // The answer ends a count-unique example: nothing is predicted after it,
  // while 1b's ANS is followed by the scored ones digit.
  EXPECT_EQ(i.output.find("prediction at position 12"), std::string::npos) << i.output;
  i = run_cli("inspect " + fixture("puzzle2/digits") + " --example \"BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS\"");
  EXPECT_NE(i.output.find("prediction at position 16:"), std::string::npos) << i.output;
  auto a = run_cli("analyze " + fixture("puzzle2/unique") + " --n 100 --no-report --out " + out + "/analysis");
  ASSERT_EQ(a.code, 0) << a.output;
  // count-unique's symbols are the attention target and no number is among
  // the keys: the text gives no top=target rate ("n/a", not 0.00%) and does
  // not repeat the target's mass under the class name "symbol".
  EXPECT_NE(a.output.find("  L0H0   n/a          "), std::string::npos) << a.output;
  EXPECT_EQ(a.output.find("mass symbol"), std::string::npos) << a.output;
  EXPECT_NE(a.output.find("mass special"), std::string::npos) << a.output;
  // No number tokens: value norms have no value to follow (not run), and the
  // circuits block says why it has no copying summary.
  EXPECT_EQ(a.output.find("Value norms"), std::string::npos) << a.output;
  EXPECT_NE(a.output.find("(no number tokens, so no copying or value-order summary)"), std::string::npos) << a.output;

  write_file_atomic(out + "/spec.json", R"({"task": ["count-unique", "max-of-list-digits"], "d-model": 8, "heads": 2,
                     "steps": 5, "eval-every": 5, "eval-size": 20, "batch": 8, "seeds": 1})");
  auto s = run_cli("sweep " + out + "/spec.json --out " + out + "/sw --quiet");
  ASSERT_EQ(s.code, 0) << s.output;
  EXPECT_NE(read_file(out + "/sw/results.csv").find("count-unique"), std::string::npos);
}

TEST(CliPuzzleTasks, BadLinesGetTheirLineNumberAndReason) {
  const std::string out = testing::temp_dir("puzzle2-bad");
  const std::pair<const char*, const char*> cases[] = {
      {"unique", "BOS a b a c c j a b b a ANS #11\n"},
      {"unique", "BOS a b a c c j a b b a ANS #4\nBOS a b a c c q a b b a ANS #4\n"},
      {"digits", "BOS 0 3 SEP 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 2 2 EOS\n"},
  };
  const char* why[] = {"line 1: count token '#11' is out of range: the counts are #1..#10",
                       "line 2: unknown token 'q' (the symbols are a..j",
                       "line 1: number 2 at position 4 has 1 digit before SEP: each number is two digits"};
  for (int c = 0; c < 3; ++c) {
    const std::string f = out + "/bad" + std::to_string(c) + ".txt";
    write_file_atomic(f, cases[c].second);
    auto r = run_cli("eval " + fixture(std::string("puzzle2/") + cases[c].first) + " --eval-set " + f);
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.output.find(f + ": " + why[c]), std::string::npos) << r.output;
  }
}

}  // namespace cli_puzzle_tasks_cli_test
}  // namespace hc
