// `headcount analyze` as a user meets it: PyTorch's zero-ablation numbers on
// the fixture, a Count01 model, the output directory, and clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "../cli/cli_util.hpp"
#include "../fixtures.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace interp_analyze_cli_test {  // this file's own names (unity builds batch test files)
using testing::fixture;
using testing::run_cli;
namespace fs = std::filesystem;

const std::string kMol = "max_of_list_torch";

std::string mol_args() {
  return fixture(kMol + ".safetensors") + " --task max-of-list --eval-set " + fixture(kMol + ".test.txt");
}

TEST(AnalyzeCli, ZeroAblationMatchesPyTorchOnTheFixture) {
  const std::string out = testing::temp_dir("analyze-mol");
  auto r = run_cli("analyze " + mol_args() + " --json --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  const auto want = testing::fixture_json(kMol + ".expected.json");
  EXPECT_EQ(j.at("n_examples").get<int>(), 5000);
  EXPECT_LE(std::abs(j.at("accuracy").get<double>() - want.at("accuracy").get<double>()) * 5000, 1.0 + 1e-9);
  for (const auto& [h, acc] : want.at("zero_ablate_single").items())
    EXPECT_LE(std::abs(j["ablation"]["zero"]["single"].at(h).get<double>() - acc.get<double>()) * 5000, 1.0 + 1e-9)
        << "head " << h;
  for (const auto& [p, acc] : want.at("zero_ablate_pairs").items())
    EXPECT_LE(std::abs(j["ablation"]["zero"]["pairs"].at(p).get<double>() - acc.get<double>()) * 5000, 1.0 + 1e-9)
        << "pair " << p;
  // Every key the issue promises.
  EXPECT_EQ(j["ablation"]["zero"]["only"].size(), 4u);
  EXPECT_EQ(j["ablation"]["mean"]["single"].size(), 4u);
  EXPECT_EQ(j["edge_scaling"]["score"]["recovery"].size(), 4u);
  for (const char* part : {"embed", "pos", "head0", "head3"}) EXPECT_TRUE(j["dla"]["shares"].contains(part)) << part;
  EXPECT_TRUE(j["invariance"].contains("diverges_at"));
  // The files: summary.json is what --json printed, less "out" (where it went); one CSV per table.
  EXPECT_EQ(j.at("out"), out);
  nlohmann::json file_view = j;
  file_view.erase("out");
  EXPECT_EQ(nlohmann::json::parse(read_file(out + "/summary.json")), file_view);
  for (const char* t : {"ablation_zero_single", "ablation_zero_subsets", "edge_scaling_score", "attention_stats", "dla"})
    EXPECT_TRUE(fs::exists(out + "/" + t + ".csv")) << t;
  EXPECT_TRUE(fs::exists(out + "/summary.txt"));
}

TEST(AnalyzeCli, ProgressLinesNameEachAnalysisUnlessQuietOrJson) {
  const std::string out = testing::temp_dir("analyze-progress");
  const std::string args = "analyze " + mol_args() + " --only dla,value_norms --no-report --out " + out;
  auto r = run_cli(args);
  ASSERT_EQ(r.code, 0) << r.output;
  const size_t dla = r.output.find("] analyze: dla\n"), vn = r.output.find("] analyze: value_norms\n");
  ASSERT_NE(dla, std::string::npos) << r.output;
  ASSERT_NE(vn, std::string::npos) << r.output;
  EXPECT_LT(vn, dla);  // in the order they run
  EXPECT_NE(r.output.find("] analyze: done\n"), std::string::npos) << r.output;
  auto q = run_cli(args + " --quiet");
  ASSERT_EQ(q.code, 0) << q.output;
  EXPECT_EQ(q.output.find("analyze:"), std::string::npos) << q.output;
  auto j = run_cli(args + " --json");  // standard output and error together: JSON alone
  ASSERT_EQ(j.code, 0) << j.output;
  EXPECT_NO_THROW(nlohmann::json::parse(j.output)) << j.output.substr(0, 300);
}

// A two-layer model: edge scaling, the one analysis without a shortcut there
// (hundreds of hooked passes), is left out by default with the reason and the
// way to ask for it, in the text, summary.json and the progress lines; --only
// runs it. Everything else runs.
TEST(AnalyzeCli, TwoLayerLeavesEdgeScalingOutByDefaultAndSaysHowToRunIt) {
  const std::string dir = testing::temp_dir("analyze-two-layer");
  auto t = run_cli("train --task max-of-list --layers 2 --d-model 16 --heads 2 --steps 20 --eval-every 20 "
                   "--eval-size 100 --quiet --out " + dir + "/run");
  ASSERT_EQ(t.code, 0) << t.output;
  auto r = run_cli("analyze " + dir + "/run --n 100 --no-report --out " + dir + "/an");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto s = nlohmann::json::parse(read_file(dir + "/an/summary.json"));
  EXPECT_FALSE(s.contains("edge_scaling"));
  ASSERT_TRUE(s.contains("not_run")) << s.dump().substr(0, 300);
  const std::string why = s["not_run"].at("edge_scaling").get<std::string>();
  // (4 heads + 6 pairs) x 11 values of s x 2 modes
  EXPECT_NE(why.find("220 hooked forward passes over 100 examples"), std::string::npos) << why;
  EXPECT_NE(why.find("--only edge_scaling"), std::string::npos) << why;
  for (const char* a : {"ablation", "attention", "value_norms", "dla", "circuits"}) EXPECT_TRUE(s.contains(a)) << a;
  EXPECT_NE(r.output.find("Not run by default:\n  edge_scaling: " + why), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("analyze: left out edge_scaling: "), std::string::npos) << r.output;
  auto only = run_cli("analyze " + dir + "/run --n 100 --only edge_scaling --no-report --out " + dir + "/es");
  ASSERT_EQ(only.code, 0) << only.output;
  EXPECT_NE(only.output.find("no shortcut: 220 hooked forward passes over 100 examples"), std::string::npos)
      << only.output;
  const auto e = nlohmann::json::parse(read_file(dir + "/es/summary.json"));
  EXPECT_EQ(e["edge_scaling"]["method"], "hooked");
  EXPECT_FALSE(e.contains("not_run"));
}

// Count01's symbols are not numbers and its heads are redundant: the text
// summary says which logit each symbol's OV raises instead of "OV copying",
// has no trend "against the number's value", and names no head as mattering
// when none costs half a point.
TEST(AnalyzeCli, Count01TextSummarySpeaksCount01) {
  const std::string out = testing::temp_dir("analyze-c01-text");
  auto r = run_cli("analyze " + fixture("count01_tl.safetensors") + " --task count01 --eval-set " +
                   fixture("count01_tl.test.txt") + " --only ablation,value_norms,circuits --no-report --quiet --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("OV copying"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("against the number's value"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the logit the OV circuit raises most for the symbols 0 / 1 / 2"), std::string::npos) << r.output;
  const auto s = nlohmann::json::parse(read_file(out + "/summary.json"));
  double worst = 0;
  for (const auto& [h, acc] : s["ablation"]["zero"]["single"].items())
    worst = std::max(worst, s["ablation"]["full_accuracy"].get<double>() - acc.get<double>());
  if (worst < 0.005) {
    char want[96];
    std::snprintf(want, sizeof want, "no head matters alone (largest zero-ablation drop %.1f pts", 100 * worst);
    EXPECT_NE(r.output.find(want), std::string::npos) << want << "\n" << r.output;
    EXPECT_EQ(r.output.find("heads that matter most"), std::string::npos) << r.output;
  } else {
    EXPECT_NE(r.output.find("heads that matter most"), std::string::npos) << r.output;
  }
}

TEST(AnalyzeCli, TextSummaryNamesTheFindings) {
  const std::string out = testing::temp_dir("analyze-mol-text");
  auto r = run_cli("analyze " + mol_args() + " --only ablation,edge_scaling,dla --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* s : {"accuracy: 99.64%", "heads that matter most", "minimal sufficient", "Edge scaling",
                        "Direct logit attribution"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  EXPECT_EQ(r.output.find("Invariance"), std::string::npos);  // not asked for
}

TEST(AnalyzeCli, WorksOnACount01Model) {
  const std::string dir = testing::temp_dir("analyze-count01");
  fs::copy_file(fixture("count01_tl.safetensors"), dir + "/c01.safetensors");
  auto r = run_cli("analyze " + dir + "/c01.safetensors --task count01 --eval-set " + fixture("count01_tl.test.txt") +
                   " --only ablation,edge_scaling,attention --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["n_examples"], 4000);
  EXPECT_EQ(j["edge_scaling"]["target"], "tokens 0 and 1");
  EXPECT_EQ(j["ablation"]["zero"]["subsets_evaluated"], 65536);
  EXPECT_EQ(j["attention"]["classes"], (nlohmann::json{"0", "1", "2", "="}));
  // Default output directory: beside the weights file.
  EXPECT_TRUE(fs::exists(dir + "/c01-analysis/summary.json"));
}

std::string c01_args() {
  return fixture("count01_tl.safetensors") + " --task count01 --train-set " + fixture("count01_tl.train.txt") +
         " --eval-set " + fixture("count01_tl.test.txt");
}

// The acceptance test of issue 5, part 1: every head's paper metrics through
// the CLI match PyTorch + scikit-learn on the fixture's own splits.
TEST(AnalyzeCli, Count01HeadMetricsMatchTheFixture) {
  const std::string out = testing::temp_dir("analyze-c01-metrics");
  auto r = run_cli("analyze " + c01_args() + " --json --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  const auto want = testing::fixture_json("count01_tl.expected.json");
  EXPECT_EQ(j.at("n_train").get<int>(), want.at("n_train").get<int>());
  EXPECT_EQ(j.at("n_examples").get<int>(), want.at("n_test").get<int>());
  EXPECT_NE(j.at("train_set").get<std::string>().find("count01_tl.train.txt"), std::string::npos);
  // The Count01 analyses are in the default set.
  for (const char* a : {"head_metrics", "w01_intervention", "logit_dynamics"})
    EXPECT_TRUE(j.contains(a)) << a;
  ASSERT_EQ(j.at("heads").size(), want.at("heads").size());
  for (const auto& e : want.at("heads")) {
    const int h = e.at("head").get<int>();
    const auto& g = j["heads"][size_t(h)];
    SCOPED_TRACE("head " + std::to_string(h));
    EXPECT_EQ(g.at("head").get<int>(), h);
    EXPECT_NEAR(g.at("s_acc").get<double>(), e.at("s_acc").get<double>(), 0.005);
    EXPECT_NEAR(g.at("l_acc").get<double>(), e.at("l_acc").get<double>(), 0.005);
    EXPECT_NEAR(g.at("auc").get<double>(), e.at("auc").get<double>(), 0.002);
    EXPECT_NEAR(g.at("w01").get<double>() / e.at("w01").get<double>(), 1.0, 0.01);
    EXPECT_NEAR(g.at("w02").get<double>() / e.at("w02").get<double>(), 1.0, 0.01);
    EXPECT_EQ(g.at("success").get<bool>(), g.at("s_acc").get<double>() >= 0.95);
    EXPECT_TRUE(g.at("failure").is_string());
  }
  const double w = j.at("weighted_s_acc").get<double>();
  EXPECT_GT(w, 0.5);
  EXPECT_LE(w, 1.0);
  EXPECT_DOUBLE_EQ(w, j["head_metrics"]["weighted_s_acc"].get<double>());
  // w01 intervention: 13 grid points per head; logit dynamics on the same set.
  EXPECT_EQ(j["w01_intervention"]["grid"].size(), 13u);
  EXPECT_EQ(j["w01_intervention"]["heads"].size(), 16u);
  EXPECT_DOUBLE_EQ(j["logit_dynamics"]["answer_top_at_eq"].get<double>(), want.at("accuracy").get<double>());
  EXPECT_DOUBLE_EQ(j["logit_dynamics"]["eos_top_at_answer"].get<double>(), want.at("eos_accuracy").get<double>());
  // The tables, with the columns the issue names first.
  nlohmann::json file_view = j;  // --json adds where it wrote summary.json
  file_view.erase("out");
  EXPECT_EQ(nlohmann::json::parse(read_file(out + "/summary.json")), file_view);
  auto header = [&](const std::string& t) {
    const std::string csv = read_file(out + "/" + t + ".csv");
    return csv.substr(0, csv.find('\n'));
  };
  EXPECT_EQ(header("heads").rfind("head,s_acc,l_acc,auc,w01,w02,success,failure", 0), 0u) << header("heads");
  EXPECT_EQ(header("w01_intervention"), "head,w01,s_acc");
  EXPECT_EQ(header("logit_dynamics"), "head,position,answer,token,contribution");
  EXPECT_TRUE(fs::exists(out + "/logit_dynamics_heads.csv"));
}

TEST(AnalyzeCli, Count01TextSummaryHasTheHeadTable) {
  const std::string out = testing::temp_dir("analyze-c01-text");
  auto r = run_cli("analyze " + c01_args() + " --only head_metrics,logit_dynamics --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  // The figures the text shows are those of summary.json; the count of
  // successful heads is PyTorch + scikit-learn's (s-acc >= 0.95).
  const auto j = nlohmann::json::parse(read_file(out + "/summary.json"));
  char weighted[64];
  std::snprintf(weighted, sizeof weighted, "weighted head s-acc: %.4f", j.at("weighted_s_acc").get<double>());
  int n_ok = 0;
  const auto want = testing::fixture_json("count01_tl.expected.json");
  for (const auto& e : want.at("heads")) n_ok += e.at("s_acc").get<double>() >= 0.95;
  const std::string successful = "successful heads (s-acc >= 0.95): " + std::to_string(n_ok) + " of 16";
  for (const std::string& s : {std::string("Count01 head metrics at '='"), std::string("s-acc"), std::string("l-acc"),
                              std::string("AUC"), std::string(weighted), successful,
                              std::string("Logit dynamics: the answer is the top logit at '=' in 100.00%"),
                              std::string("EOS at the answer position in 100.00%")})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  // Every failure signature printed is the one in summary.json.
  for (const auto& h : j.at("heads")) EXPECT_NE(r.output.find(h.at("failure").get<std::string>()), std::string::npos);
  EXPECT_EQ(r.output.find("w01 intervention"), std::string::npos);  // not asked for
  EXPECT_EQ(r.output.find("Ablation"), std::string::npos);
}

// Without --train-set the probe is fitted on a generated train split, disjoint
// from the (generated) test split.
TEST(AnalyzeCli, Count01GeneratesTheTrainSplitWhenNotGiven) {
  const std::string out = testing::temp_dir("analyze-c01-gen");
  auto r = run_cli("analyze " + fixture("count01_tl.safetensors") + " --task count01 --n 800 --only head_metrics --json --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("n_train").get<int>(), 800);
  EXPECT_EQ(j.at("n_examples").get<int>(), 800);
  EXPECT_NE(j.at("train_set").get<std::string>().find("generated train split"), std::string::npos);
  EXPECT_NE(j.at("eval_set").get<std::string>().find("generated test split"), std::string::npos);
  EXPECT_EQ(j.at("heads").size(), 16u);
}

TEST(AnalyzeCli, Count01AnalysesOnOtherModelsAreSkippedOrRefused) {
  const std::string dir = testing::temp_dir("analyze-c01-refused");
  // Max-of-List default set: no Count01 analyses.
  auto r = run_cli("analyze " + mol_args() + " --only ablation --json --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(nlohmann::json::parse(r.output).contains("heads"));
  r = run_cli("analyze " + mol_args() + " --only head_metrics --out " + dir + "/x");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: --only: the analysis 'head_metrics' needs a one-layer Count01 model"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("max-of-list"), std::string::npos) << r.output;
  r = run_cli("analyze " + mol_args() + " --train-set " + fixture(kMol + ".test.txt") + " --out " + dir + "/y");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: --train-set"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/x/summary.json"));
  // A train set that is not Count01 text: the file and line are named.
  write_file_atomic(dir + "/bad.txt", "0 1 1 = 4 EOS\n");
  r = run_cli("analyze " + fixture("count01_tl.safetensors") + " --task count01 --train-set " + dir + "/bad.txt --out " + dir + "/z");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("bad.txt"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 1"), std::string::npos) << r.output;
}

TEST(AnalyzeCli, BadInputGetsAClearError) {
  const std::string dir = testing::temp_dir("analyze-bad");
  auto r = run_cli("analyze " + mol_args() + " --only ablation,probes --out " + dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: --only: unknown analysis 'probes' (valid analyses: ablation, edge_scaling"),
            std::string::npos)
      << r.output;

  r = run_cli("analyze " + mol_args() + " --heads-of-interest 1,4 --out " + dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: --heads-of-interest: head 4 is out of range: the model has 4 heads"),
            std::string::npos)
      << r.output;

  write_file_atomic(dir + "/empty.txt", "");
  r = run_cli("analyze " + fixture(kMol + ".safetensors") + " --task max-of-list --eval-set " + dir +
              "/empty.txt --out " + dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("empty"), std::string::npos) << r.output;

  write_file_atomic(dir + "/families.txt",
                    "BOS 3 SEP 9 SEP 6 SEP 3 SEP 1 ANS 9 EOS\nBOS 9 SEP 3 SEP 6 SEP 3 SEP 1 ANS 9 EOS\n\n"
                    "BOS 7 SEP 3 SEP 5 SEP 6 SEP 2 ANS 7 EOS\nBOS 8 SEP 3 SEP 5 SEP 6 SEP 2 ANS 8 EOS\n");
  r = run_cli("analyze " + mol_args() + " --only invariance --families " + dir + "/families.txt --out " + dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("family 2"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/summary.json"));  // nothing written on error
}

}  // namespace interp_analyze_cli_test
}  // namespace hc
