// `headcount analyze` as a user meets it: PyTorch's zero-ablation numbers on
// the fixture, a Count01 model, the output directory, and clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "../cli/cli_util.hpp"
#include "../fixtures.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace {

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
  // The files: summary.json equals what --json printed, one CSV per table.
  EXPECT_EQ(nlohmann::json::parse(read_file(out + "/summary.json")), j);
  for (const char* t : {"ablation_zero_single", "ablation_zero_subsets", "edge_scaling_score", "attention_stats", "dla"})
    EXPECT_TRUE(fs::exists(out + "/" + t + ".csv")) << t;
  EXPECT_TRUE(fs::exists(out + "/summary.txt"));
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

}  // namespace
}  // namespace hc
