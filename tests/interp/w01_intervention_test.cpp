// The w01 intervention: the synthetic row itself, and that imposing a head's
// own w01 on a head that already ignores everything but `0`/`1` changes
// nothing.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "interp/head_metrics.hpp"
#include "interp/w01_intervention.hpp"
#include "tasks/count01.hpp"

namespace hc {
namespace interp_w01_intervention_test {  // this file's own names (unity builds batch test files)
TEST(W01Intervention, SyntheticRowHasTheRatioAndSumsToOne) {
  // 0 1 2 0 = : two 0s, one 1.
  const int32_t tok[6] = {0, 1, 2, 0, 3, 7};
  float row[6];
  set_w01_row(tok, 4, 10.0, row, 6);
  EXPECT_FLOAT_EQ(row[0] / row[1], 10.0f);
  EXPECT_FLOAT_EQ(row[3], row[0]);
  EXPECT_EQ(row[2], 0.0f);
  EXPECT_EQ(row[4], 0.0f);
  EXPECT_EQ(row[5], 0.0f);
  EXPECT_NEAR(row[0] + row[1] + row[3], 1.0, 1e-6);
  // Only 0s among the symbols: the weight is spread over them.
  const int32_t zeros[4] = {0, 2, 0, 3};
  set_w01_row(zeros, 3, 1e-3, row, 4);
  EXPECT_FLOAT_EQ(row[0], 0.5f);
  EXPECT_FLOAT_EQ(row[2], 0.5f);
  EXPECT_EQ(row[1], 0.0f);
  EXPECT_THROW(set_w01_row(tok, 4, 0.0, row, 6), Error);
}

TaskConfig count01_config() {
  TaskConfig tc;
  tc.name = "count01";
  return tc;
}

// Head 0 of a hand-built model attends only to `0` and `1` keys (the `2` and
// `=` keys score 40 lower), with per-token ratio exp(2.5); head 1 is random.
Model<float> zero_one_model(const Task& task, double log_w01) {
  ModelConfig c;
  c.n_layers = 1, c.d_model = 8, c.n_heads = 2, c.d_head = 2;
  c.d_vocab = task.vocab_size(), c.n_ctx = task.n_ctx(), c.pos_embed = false;
  c.init_std = 0.5;
  Model<float> m(c);
  m.init(11);
  const int D = 8, E = 2;
  float* W_E = m.param(ParamKind::W_E);
  for (int t = 0; t < 8; ++t)
    for (int d = 0; d < D; ++d) W_E[t * D + d] = t == d ? 1.0f : 0.0f;  // one-hot embeddings
  float* W_Q = m.param(ParamKind::W_Q, 0);
  float* W_K = m.param(ParamKind::W_K, 0);
  for (int d = 0; d < D; ++d)
    for (int e = 0; e < E; ++e) W_Q[d * E + e] = W_K[d * E + e] = 0.0f;
  const float s = float(std::sqrt(2.0));  // undo the 1/sqrt(d_head) scaling
  W_Q[Count01Task::kEq * E + 0] = 1.0f;
  W_K[0 * E + 0] = float(log_w01) * s;
  W_K[1 * E + 0] = 0.0f;
  W_K[2 * E + 0] = -40.0f * s;
  W_K[Count01Task::kEq * E + 0] = -40.0f * s;
  return m;
}

TEST(W01Intervention, OwnW01ReproducesSAccWhenTwosAreIgnored) {
  auto task = make_task(count01_config());
  const Model<float> model = zero_one_model(*task, 2.5);
  const Dataset train = generate(*task, Split::Train, 1500, 4, 0);
  const Dataset test = generate(*task, Split::Test, 1500, 4, 1);
  const HeadMetricsResult base = head_metrics(model, *task, train, test);
  const double own = base.heads[0].w01;
  ASSERT_NEAR(std::log(own), 2.5, 1e-4);  // the construction did what it says
  W01InterventionOptions opt;
  opt.grid = {own, 1e-3, 1e3};
  opt.heads = {0};
  const W01InterventionResult r = w01_intervention(model, *task, train, test, opt);
  const auto& s = r.summary.at("heads").at(0).at("s_acc");
  EXPECT_NEAR(s.at(0).get<double>(), base.heads[0].s_acc, 0.01);
  EXPECT_NEAR(r.summary.at("heads").at(0).at("s_acc_unmodified").get<double>(), base.heads[0].s_acc, 1e-12);
  ASSERT_EQ(r.tables.at(0).rows.size(), 3u);
  EXPECT_EQ(r.tables[0].rows[0][0].get<int>(), 0);
}

// Every head with the default grid: one row per (head, w01), and the paper's
// shape: s-acc near w01 = 1 is at least as high as at the extremes.
TEST(W01Intervention, DefaultSweepHasOneRowPerHeadAndGridPoint) {
  auto task = make_task(count01_config());
  const Model<float> model = zero_one_model(*task, 0.0);
  const Dataset train = generate(*task, Split::Train, 600, 5, 0);
  const Dataset test = generate(*task, Split::Test, 600, 5, 1);
  const W01InterventionResult r = w01_intervention(model, *task, train, test);
  const auto grid = default_w01_grid();
  ASSERT_EQ(grid.size(), 13u);
  EXPECT_NEAR(grid.front(), 1e-3, 1e-15);
  EXPECT_NEAR(grid[6], 1.0, 1e-15);
  EXPECT_NEAR(grid.back(), 1e3, 1e-9);
  const Table& t = r.tables.at(0);
  ASSERT_EQ(t.rows.size(), 2u * 13u);
  for (int h = 0; h < 2; ++h)
    for (int g = 0; g < 13; ++g) {
      EXPECT_EQ(t.rows[size_t(h * 13 + g)][0].get<int>(), h);
      EXPECT_DOUBLE_EQ(t.rows[size_t(h * 13 + g)][1].get<double>(), grid[size_t(g)]);
    }
  const auto& s0 = r.summary.at("heads").at(0).at("s_acc");
  EXPECT_GE(s0.at(6).get<double>(), s0.at(0).get<double>());
  EXPECT_GE(s0.at(6).get<double>(), s0.at(12).get<double>());
  W01InterventionOptions bad;
  bad.heads = {5};
  EXPECT_THROW(w01_intervention(model, *task, train, test, bad), Error);
}

}  // namespace interp_w01_intervention_test
}  // namespace hc
