// `headcount analyze` on a two-layer model picks the multi-layer analyses
// (issue 15) by itself and writes their tables, JSON and text; on a
// one-layer model it leaves them out, and --only says why.
#include <gtest/gtest.h>

#include <filesystem>

#include "../cli/cli_util.hpp"
#include "../fixtures.hpp"
#include "core/atomic_file.hpp"

namespace hc {
namespace multilayer_analyze_cli_test {
using testing::fixture;
using testing::run_cli;

const std::vector<std::string> kMulti = {"subset_ablation", "logit_lens", "path_dla",
                                         "composition",     "act_patching", "path_patching"};

TEST(MultilayerAnalyzeCli, TwoLayerModelGetsTheCircuitAnalysesByDefault) {
  const std::string out = testing::temp_dir("analyze-multi");
  auto r = run_cli("analyze " + fixture("puzzle2/unique/model.pt") + " --eval-set " +
                   fixture("puzzle2/unique/eval.txt") + " --n 300 --quiet --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto s = nlohmann::json::parse(read_file(out + "/summary.json"));
  for (const auto& a : kMulti) EXPECT_TRUE(s.contains(a)) << a;
  // Tables, one CSV each, with the documented columns.
  auto header = [&](const std::string& name) {
    const std::string text = read_file(out + "/" + name + ".csv");
    return text.substr(0, text.find('\n'));
  };
  EXPECT_EQ(header("composition_scores"), "sender,receiver,kind,score,baseline_mean,baseline_sd,z");
  EXPECT_EQ(header("act_patching_head"), "head,logit_diff,normalised");
  EXPECT_EQ(header("act_patching_resid"), "layer,position,logit_diff,normalised");
  EXPECT_EQ(header("act_patching_head_pos"), "head,position,logit_diff,normalised");
  EXPECT_EQ(header("path_patching"), "sender,receiver,input,logit_diff,effect");
  EXPECT_EQ(header("path_dla"), "path,kind,logit,logit_diff");
  EXPECT_EQ(header("subset_ablation_zero").substr(0, 44), "ablated,kept,n_ablated,accuracy,accuracy_#1,");
  EXPECT_EQ(header("logit_lens").substr(0, 28), "stage,accuracy,margin,accura");
  // 256 sets, one row each.
  const std::string subsets = read_file(out + "/subset_ablation_mean.csv");
  EXPECT_EQ(std::count(subsets.begin(), subsets.end(), '\n'), 257);
  // The summary's figures agree with the text and with each other.
  EXPECT_EQ(s["subset_ablation"]["modes"]["zero"]["full_accuracy"].get<double>(), s["accuracy"].get<double>());
  EXPECT_LT(s["path_dla"]["max_error"].get<double>(), 1e-4);
  EXPECT_EQ(s["act_patching"]["corruption"], "one symbol changed so that the count moves by one");
  EXPECT_EQ(s["composition"]["baseline_draws"], 200);
  const std::string text = read_file(out + "/summary.txt");
  for (const char* block : {"Composition scores", "Activation patching", "Path patching", "Path DLA",
                            "Subset ablation over all 8 heads", "Logit lens"})
    EXPECT_NE(text.find(block), std::string::npos) << block;
  // The report draws them.
  const std::string html = read_file(out + "/report.html");
  for (const char* id : {"sec-composition", "sec-act-patching", "sec-path-patching"})
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\">"), std::string::npos) << id;
}

TEST(MultilayerAnalyzeCli, OneLayerModelLeavesThemOut) {
  const std::string out = testing::temp_dir("analyze-multi-one");
  auto r = run_cli("analyze " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --eval-set " +
                   fixture("max_of_list_torch.test.txt") + " --n 200 --no-report --quiet --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto s = nlohmann::json::parse(read_file(out + "/summary.json"));
  for (const auto& a : kMulti) EXPECT_FALSE(s.contains(a)) << a;
  auto only = run_cli("analyze " + fixture("max_of_list_torch.safetensors") +
                      " --task max-of-list --only composition --out " + out + "-only");
  EXPECT_EQ(only.code, 1);
  EXPECT_NE(only.output.find("error: --only: the analysis 'composition' needs a model with at least 2 layers"),
            std::string::npos)
      << only.output;
}

}  // namespace multilayer_analyze_cli_test
}  // namespace hc
