// `headcount reproduce`: the statistics behind the correlation claim, and a
// miniature plan run end to end (every part-A claim present, every file
// written, the same bits at one and two jobs), and its errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "../cli/cli_util.hpp"
#include "../cli/docs_util.hpp"
#include "../cli/json_schema.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "studies/reproduce.hpp"

namespace hc {
namespace studies_reproduce_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;

TEST(Pearson, KnownValues) {
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {2, 4, 6, 8}), 1.0, 1e-12);
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {8, 6, 4, 2}), -1.0, 1e-12);
  // x = 1..4, y = 1,3,2,4: cov = 4/4 = 1.0 (sum of products of deviations = 4), var x = var y = 5/4 -> r = 0.8
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {1, 3, 2, 4}), 0.8, 1e-12);
}

TEST(Pearson, RejectsBadInput) {
  EXPECT_THROW(pearson({1, 2}, {1, 2, 3}), Error);
  EXPECT_THROW(pearson({1}, {1}), Error);
}

TEST(Pearson, BootstrapIntervalIsSeededAndBracketsR) {
  std::vector<double> x, y;
  uint64_t s = 12345;
  auto u = [&] { s = s * 6364136223846793005ULL + 1442695040888963407ULL; return double(s >> 11) / double(1ULL << 53); };
  for (int i = 0; i < 200; ++i) {
    const double a = u();
    x.push_back(a);
    y.push_back(a + 0.5 * u());  // r around 0.85
  }
  const double r = pearson(x, y);
  const auto ci = bootstrap_pearson_ci(x, y, 1000, 0.95, 7);
  EXPECT_LT(ci.first, r);
  EXPECT_GT(ci.second, r);
  EXPECT_GT(ci.first, 0.7);
  EXPECT_LT(ci.second, 0.95);
  EXPECT_EQ(ci, bootstrap_pearson_ci(x, y, 1000, 0.95, 7));  // same seed, same interval
  const auto wide = bootstrap_pearson_ci(x, y, 1000, 0.99, 7);
  EXPECT_LE(wide.first, ci.first);
  EXPECT_GE(wide.second, ci.second);
}

ReproducePlan tiny_plan() {
  ReproducePlan p;
  p.main_seeds = 2;
  p.isolated_seeds = 2;
  p.grid_seeds = 1;
  p.count01_steps = 60;
  p.snapshots = {20};
  p.probe_train = p.probe_test = 300;
  p.intervention_models = 1;
  p.verify_up_to = 6;
  p.verify_random = 500;
  p.tiny_seeds = 3;
  p.tiny_steps = 50;
  p.mol_steps = 150;
  p.mol_target = 0;
  p.bootstrap = 200;
  p.quality_models = 3;  // D32 H16, D16 H8, D8 H4
  p.quality_steps = {20};
  p.conditions_seeds = 2;
  p.conditions_steps = 20;  // 9 cells x 2 models of D32 H16 E2, 6 to 60 steps
  return p;
}

ReproduceResult run_tiny(const std::string& out, int jobs) {
  ReproduceOptions o;
  o.out = out;
  o.jobs = jobs;
  o.progress = false;
  return run_reproduce(o, tiny_plan());
}

TEST(Reproduce, MiniaturePlanCoversEveryClaimAndWritesEveryFile) {
  const std::string out = testing::temp_dir("reproduce-tiny-1");
  fs::remove_all(out);
  const ReproduceResult r = run_tiny(out, 1);
  std::set<std::string> ids;
  for (const auto& c : r.summary.at("claims")) {
    ids.insert(c.at("id").get<std::string>());
    for (const char* k : {"claim", "paper", "ours", "reproduced", "detail"})
      EXPECT_FALSE(c.at(k).get<std::string>().empty()) << c.at("id") << " " << k;
  }
  // Part A of ANALYSES.md: per-head metrics and failed heads, w01/w02, the
  // intervention, the correlation, isolated vs joint, failure signatures, the
  // minimal solution.
  for (const char* id : {"failed_heads", "w01_w02", "w01_intervention", "correlation", "isolated_vs_joint",
                         "failure_signatures", "minimal_solution", "logit_dynamics"})
    EXPECT_TRUE(ids.count(id)) << id;
  // (a) final models: 2 main + 2 grid + 3 quality (isolated left out);
  // (b) checkpoints: 2 main + 2 grid models, each at step 20 and at the end.
  const auto& corr = r.summary.at("correlation");
  EXPECT_EQ(corr.at("final_models").at("n").get<int>(), 7);
  EXPECT_EQ(corr.at("final_models").at("unit"), "models");
  EXPECT_EQ(corr.at("checkpoints").at("n").get<int>(), 4);
  EXPECT_EQ(corr.at("n_checkpoints").get<int>(), 8);
  for (const char* k : {"final_models", "checkpoints"}) {
    const auto& c = corr.at(k);
    if (c.at("ci_low").is_null()) continue;  // a miniature may have no finite r
    EXPECT_LE(c.at("ci_low").get<double>(), c.at("ci_high").get<double>()) << k;
  }
  // Every verdict is one of the three words, its rule beside it.
  for (const auto& c : r.summary.at("claims")) {
    const std::string v = c.at("reproduced");
    EXPECT_TRUE(v == "reproduced" || v == "not shown" || v == "contradicted") << c.at("id") << ": " << v;
  }
  // The conditions map: 9 cells of 2 models, each judged on both claims.
  const auto& cells = r.summary.at("conditions").at("cells");
  ASSERT_EQ(cells.size(), 9u);
  for (const auto& c : cells) {
    EXPECT_EQ(c.at("n_models").get<int>(), 2) << c.at("cell");
    EXPECT_EQ(c.at("failed_fraction").at("unit"), "models");
  }
  for (const char* f : {"summary.json", "REPRODUCTION.md", "heads.csv", "correlation.csv", "w01_intervention.csv",
                        "isolated_vs_joint.csv", "tiny_training.csv", "logit_dynamics_heads.csv", "conditions.csv",
                        "correlation_final.csv", "max_of_list/run/model.safetensors",
                        "max_of_list/analysis/summary.json", "count01_main/run/model.safetensors",
                        "count01_main/analysis/summary.json"})
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  const std::string md = read_file(out + "/REPRODUCTION.md");
  EXPECT_NE(md.find("| claim | paper | ours | verdict | rule |"), std::string::npos);
  EXPECT_NE(md.find("## Conditions map"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(read_file(out + "/summary.json")), r.summary);
  // heads.csv: 2 x 16 + 2 x 1 + 8 + 4 heads at 2 checkpoints each, the 16 +
  // 8 + 4 heads of the quality models and the 9 x 2 x 16 of the conditions
  // map at the end, plus the header.
  const std::string heads = read_file(out + "/heads.csv");
  EXPECT_EQ(std::count(heads.begin(), heads.end(), '\n'), 1 + 2 * (32 + 2 + 8 + 4) + 28 + 9 * 2 * 16);
  // Every file it wrote is in docs/FORMATS.md; `reproduce --json` prints this
  // summary plus "out", in the schema of docs/cli-json-schema.json.
  testing::expect_files_documented(out, "reproduce");
  nlohmann::json printed = r.summary;
  printed["out"] = out;
  const auto schema = nlohmann::json::parse(read_file(std::string(HC_SOURCE_DIR) + "/docs/cli-json-schema.json"));
  for (const auto& e : testing::validate(printed, schema["commands"]["reproduce"], schema, "reproduce")) ADD_FAILURE() << e;
}

TEST(Reproduce, SameBitsAtOneAndTwoJobs) {
  const std::string a = testing::temp_dir("reproduce-tiny-j1"), b = testing::temp_dir("reproduce-tiny-j2");
  fs::remove_all(a);
  fs::remove_all(b);
  run_tiny(a, 1);
  run_tiny(b, 2);
  for (const char* f : {"heads.csv", "correlation.csv", "w01_intervention.csv", "isolated_vs_joint.csv",
                        "conditions.csv", "correlation_final.csv",
                        "tiny_training.csv", "max_of_list/run/model.safetensors",
                        "count01_main/run/model.safetensors"})
    EXPECT_EQ(read_file(a + "/" + f), read_file(b + "/" + f)) << f;
}

TEST(ReproduceCli, RejectsBadJobsAndUnwritableOutput) {
  auto r = testing::run_cli("reproduce --jobs 0 --out " + testing::temp_dir("reproduce-bad"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--jobs"), std::string::npos) << r.output;
  const std::string file = testing::temp_dir("reproduce-file") + "-plain";
  write_file_atomic(file, "not a directory\n");
  r = testing::run_cli("reproduce --quiet --out " + file);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find(file), std::string::npos) << r.output;
}

}  // namespace studies_reproduce_test
}  // namespace hc
