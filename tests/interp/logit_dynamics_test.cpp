// Logit dynamics of one-layer Count01 models: the parts add up to the model's
// own logits at '=' and at the answer position; on the trained fixture the
// answer wins at '=' and EOS one step later; a head's bias toward 4/5 equals
// head_metrics' mean score; the wrong models are refused.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "random_model.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "interp/head_metrics.hpp"
#include "interp/logit_dynamics.hpp"
#include "io/layouts.hpp"
#include "tasks/count01.hpp"

namespace hc {
namespace interp_logit_dynamics_test {  // this file's own names (unity builds batch test files)
using testing::fixture;

TaskConfig count01_config() {
  TaskConfig tc;
  tc.name = "count01";
  return tc;
}

Model<float> load_fixture_model(const Task& task) { return testing::fixture_model("count01_tl.safetensors", task); }

Model<float> random_model(const Task& task, int layers, uint64_t seed) {
  return testing::random_biased_model(task, layers, 12, seed);
}

TEST(LogitDynamics, PartsAddUpToTheLogitAtBothPositions) {
  auto task = make_task(count01_config());
  const Model<float> m = random_model(*task, 1, 7);
  const Dataset ds = generate(*task, Split::Test, 700, 3, 1);  // more than one chunk of 256
  const LogitDecomposition dec = decompose_count01_logits(m, *task, ds);
  ASSERT_EQ(dec.N, 700);
  ASSERT_EQ(dec.n_parts(), 3 + 3);
  const int tokens[3] = {Count01Task::kFour, Count01Task::kFive, Count01Task::kEos};
  double worst = 0, bias_seen = 0, pos_seen = 0;
  for (int i = 0; i < dec.N; ++i)
    for (int pos = 0; pos < kLogitPositions; ++pos)
      for (int k = 0; k < kLogitTokens; ++k) {
        double sum = 0;
        for (int p = 0; p < dec.n_parts(); ++p) sum += dec.part(i, pos, p, k);
        const double logit = dec.logits[(size_t(i) * kLogitPositions + pos) * dec.V + tokens[k]];
        worst = std::max(worst, std::abs(sum - logit));
        pos_seen = std::max(pos_seen, std::abs(dec.part(i, pos, 1, k)));
        bias_seen = std::max(bias_seen, std::abs(dec.part(i, pos, dec.n_parts() - 1, k)));
      }
  EXPECT_LT(worst, 1e-4);
  EXPECT_GT(pos_seen, 1e-3);   // the parts are really there, not zeros that add up trivially
  EXPECT_GT(bias_seen, 1e-3);
  const LogitDynamicsResult r = logit_dynamics(m, *task, ds);
  EXPECT_LT(r.summary.at("max_abs_residual").get<double>(), 1e-4);
  // Per class and position, the mean parts add up to the mean logit.
  for (const char* pos : {"eq", "answer"})
    for (const char* cls : {"4", "5", "all"})
      for (const char* tok : {"4", "5", "EOS"}) {
        const auto& p = r.summary["parts"][pos][cls];
        const double sum = p["embed"][tok].get<double>() + p["pos"][tok].get<double>() +
                           p["heads"][tok].get<double>() + p["bias"][tok].get<double>();
        EXPECT_NEAR(sum, r.summary["mean_logits"][pos][cls][tok].get<double>(), 1e-4) << pos << " " << cls << " " << tok;
      }
  // Table: (H + 3 parts + the logit) x 2 positions x 3 classes x 3 tokens.
  ASSERT_EQ(r.tables.at(0).name, "logit_dynamics");
  EXPECT_EQ(r.tables[0].columns, (std::vector<std::string>{"head", "position", "answer", "token", "contribution"}));
  EXPECT_EQ(r.tables[0].rows.size(), size_t((3 + 3 + 1) * 2 * 3 * 3));
  EXPECT_EQ(r.tables.at(1).rows.size(), 3u);
  EXPECT_NE(r.tables[0].dataset.find("700 examples"), std::string::npos);
}

TEST(LogitDynamics, TrainedFixtureAnswersAtEqAndEndsOneStepLater) {
  auto task = make_task(count01_config());
  const Model<float> m = load_fixture_model(*task);
  const Dataset test = load_text(*task, fixture("count01_tl.test.txt"));
  const LogitDynamicsResult r = logit_dynamics(m, *task, test);
  const auto& s = r.summary;
  const auto expected = testing::fixture_json("count01_tl.expected.json");
  // The fixture model is 100% accurate (answer and EOS) per PyTorch.
  EXPECT_DOUBLE_EQ(s["answer_top_at_eq"].get<double>(), expected.at("accuracy").get<double>());
  EXPECT_DOUBLE_EQ(s["eos_top_at_answer"].get<double>(), expected.at("eos_accuracy").get<double>());
  EXPECT_DOUBLE_EQ(s["both"].get<double>(), 1.0);
  EXPECT_LT(s["max_abs_residual"].get<double>(), 1e-4);
  EXPECT_EQ(s["n_answer_4"].get<int>() + s["n_answer_5"].get<int>(), 4000);
  // On average the answer's logit leads at '=', EOS leads at the answer position.
  const auto& ml = s["mean_logits"];
  EXPECT_GT(ml["eq"]["4"]["4"].get<double>(), ml["eq"]["4"]["5"].get<double>());
  EXPECT_GT(ml["eq"]["4"]["4"].get<double>(), ml["eq"]["4"]["EOS"].get<double>());
  EXPECT_GT(ml["eq"]["5"]["5"].get<double>(), ml["eq"]["5"]["4"].get<double>());
  EXPECT_GT(ml["eq"]["5"]["5"].get<double>(), ml["eq"]["5"]["EOS"].get<double>());
  for (const char* cls : {"4", "5"}) {
    EXPECT_GT(ml["answer"][cls]["EOS"].get<double>(), ml["answer"][cls]["4"].get<double>()) << cls;
    EXPECT_GT(ml["answer"][cls]["EOS"].get<double>(), ml["answer"][cls]["5"].get<double>()) << cls;
  }
  // The heads are biased: every head leans one way, and the counts add up.
  EXPECT_EQ(s["n_toward_4"].get<int>() + s["n_toward_5"].get<int>(), 16);
  ASSERT_EQ(s["heads"].size(), 16u);
  for (const auto& h : s["heads"]) {
    const double b = h["bias_45"].get<double>();
    EXPECT_EQ(h["toward"].get<std::string>(), b > 0 ? "5" : "4");
    double rate = 0;
    for (const char* tok : {"4", "5", "EOS"}) rate += h["favours_rate"]["eq"][tok].get<double>();
    EXPECT_NEAR(rate, 1.0, 1e-12);
    for (const char* tok : {"4", "5", "EOS"}) EXPECT_GT(h["wo_wu_norm"][tok].get<double>(), 0.0);
  }
}

// bias_45 is the mean of r_h . (u_5 - u_4) at '=', which head_metrics reports
// as mean_score from a different forward (one query row instead of two).
TEST(LogitDynamics, HeadBiasEqualsHeadMetricsMeanScore) {
  auto task = make_task(count01_config());
  const Model<float> m = load_fixture_model(*task);
  const Dataset train = generate(*task, Split::Train, 400, 2, 2);
  const Dataset test = generate(*task, Split::Test, 600, 2, 1);
  const HeadMetricsResult hm = head_metrics(m, *task, train, test);
  const LogitDynamicsResult ld = logit_dynamics(m, *task, test);
  for (int h = 0; h < 16; ++h)
    EXPECT_NEAR(ld.summary["heads"][size_t(h)]["bias_45"].get<double>(), hm.heads[size_t(h)].mean_score, 1e-5)
        << "head " << h;
}

TEST(LogitDynamics, RefusesOtherTasksAndDeeperModels) {
  TaskConfig mol;
  auto mol_task = make_task(mol);
  const Model<float> mm = random_model(*mol_task, 1, 3);
  const Dataset mds = generate(*mol_task, Split::Test, 10, 1, 1);
  try {
    logit_dynamics(mm, *mol_task, mds);
    FAIL() << "accepted a Max-of-List model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("need a Count01 model"), std::string::npos) << e.what();
  }
  auto task = make_task(count01_config());
  const Model<float> deep = random_model(*task, 2, 3);
  const Dataset ds = generate(*task, Split::Test, 10, 1, 1);
  try {
    logit_dynamics(deep, *task, ds);
    FAIL() << "accepted a two-layer model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("one-layer"), std::string::npos) << e.what();
  }
  Dataset empty;
  empty.source = "nothing.txt";
  EXPECT_THROW(logit_dynamics(random_model(*task, 1, 3), *task, empty), Error);
}

}  // namespace interp_logit_dynamics_test
}  // namespace hc
