// Count01 head metrics: the fixture's scikit-learn/PyTorch figures, and the
// properties ANALYSES.md states (w01 from scores, AUC extremes, separable
// probe data).
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "core/error.hpp"
#include "interp/head_metrics.hpp"
#include "io/layouts.hpp"
#include "tasks/count01.hpp"

namespace hc {
namespace interp_head_metrics_test {  // this file's own names (unity builds batch test files)
using testing::fixture;

TaskConfig count01_config() {
  TaskConfig tc;
  tc.name = "count01";
  return tc;
}

Model<float> load_fixture_model(const Task& task) { return testing::fixture_model("count01_tl.safetensors", task); }

TEST(HeadMetrics, MatchesFixtureExpected) {
  auto task = make_task(count01_config());
  const Model<float> model = load_fixture_model(*task);
  const Dataset train = load_text(*task, fixture("count01_tl.train.txt"));
  const Dataset test = load_text(*task, fixture("count01_tl.test.txt"));
  const HeadMetricsResult r = head_metrics(model, *task, train, test);
  const auto expected = testing::fixture_json("count01_tl.expected.json");
  ASSERT_EQ(r.heads.size(), expected.at("heads").size());
  EXPECT_EQ(r.summary.at("n_train").get<int>(), expected.at("n_train").get<int>());
  EXPECT_EQ(r.summary.at("n_test").get<int>(), expected.at("n_test").get<int>());
  double ds = 0, dl = 0, da = 0, d01 = 0, d02 = 0;
  for (const auto& e : expected.at("heads")) {
    const HeadMetric& m = r.heads.at(e.at("head").get<size_t>());
    SCOPED_TRACE("head " + std::to_string(m.head));
    std::printf("| %d | %.5f / %.5f | %.5f / %.5f | %.7f / %.7f | %.6g / %.6g | %.6g / %.6g | %s |\n", m.head, m.s_acc,
                e.at("s_acc").get<double>(), m.l_acc, e.at("l_acc").get<double>(), m.auc, e.at("auc").get<double>(),
                m.w01, e.at("w01").get<double>(), m.w02, e.at("w02").get<double>(), m.failure.c_str());
    ds = std::max(ds, std::abs(m.s_acc - e.at("s_acc").get<double>()));
    dl = std::max(dl, std::abs(m.l_acc - e.at("l_acc").get<double>()));
    da = std::max(da, std::abs(m.auc - e.at("auc").get<double>()));
    d01 = std::max(d01, std::abs(m.w01 / e.at("w01").get<double>() - 1));
    d02 = std::max(d02, std::abs(m.w02 / e.at("w02").get<double>() - 1));
    EXPECT_NEAR(m.s_acc, e.at("s_acc").get<double>(), 0.005);
    EXPECT_NEAR(m.l_acc, e.at("l_acc").get<double>(), 0.005);
    EXPECT_NEAR(m.auc, e.at("auc").get<double>(), 0.002);
    EXPECT_NEAR(m.w01 / e.at("w01").get<double>(), 1.0, 0.01);
    EXPECT_NEAR(m.w02 / e.at("w02").get<double>(), 1.0, 0.01);
  }
  std::printf("fixture max diffs: s_acc %.6g l_acc %.6g auc %.6g w01 rel %.6g w02 rel %.6g weighted_s_acc %.6f\n",
              ds, dl, da, d01, d02, r.weighted_s_acc);
  // The summary carries the documented per-head keys and a "heads" table.
  const auto& h0 = r.summary.at("heads").at(0);
  for (const char* k : {"head", "s_acc", "l_acc", "auc", "w01", "w02", "success", "failure"})
    EXPECT_TRUE(h0.contains(k)) << k;
  ASSERT_EQ(r.tables.size(), 1u);
  EXPECT_EQ(r.tables[0].name, "heads");
  EXPECT_EQ(r.tables[0].rows.size(), 16u);
  EXPECT_GT(r.weighted_s_acc, 0.5);
  EXPECT_LE(r.weighted_s_acc, 1.0);
}

Model<float> random_model(const Task& task, bool pos_embed, uint64_t seed) {
  ModelConfig c;
  c.n_layers = 1, c.d_model = 8, c.n_heads = 3, c.d_head = 2;
  c.d_vocab = task.vocab_size(), c.n_ctx = task.n_ctx(), c.pos_embed = pos_embed;
  c.init_std = 1.0;  // spread the scores so that w01 is far from 1
  Model<float> m(c);
  m.init(seed);
  return m;
}

// With no positional embedding every `0` key has the same score, and so does
// every `1` key, so the per-token ratio is exp(score(=,0) - score(=,1)).
TEST(HeadMetrics, W01EqualsExpScoreDifferenceWithoutPositions) {
  auto task = make_task(count01_config());
  const Model<float> model = random_model(*task, false, 7);
  const ModelConfig& c = model.config();
  const int D = c.d_model, E = c.d_head;
  const float* W_E = model.param(ParamKind::W_E);
  const float* W_Q = model.param(ParamKind::W_Q, 0);
  const float* W_K = model.param(ParamKind::W_K, 0);
  auto proj = [&](const float* W, int h, int tok, int e) {
    double s = 0;
    for (int d = 0; d < D; ++d) s += double(W_E[tok * D + d]) * W[(size_t(h) * D + d) * E + e];
    return s;
  };
  auto score = [&](int h, int key) {
    double s = 0;
    for (int e = 0; e < E; ++e) s += proj(W_Q, h, Count01Task::kEq, e) * proj(W_K, h, key, e);
    return s / std::sqrt(double(E));
  };
  const Dataset data = generate(*task, Split::Test, 300, 3, 0);
  const EqActivations a = collect_eq_activations(model, *task, data);
  int checked = 0;
  for (int h = 0; h < c.n_heads; ++h) {
    const double want = std::exp(score(h, 0) - score(h, 1));
    EXPECT_GT(std::abs(std::log(want)), 0.1) << "pick a seed whose w01 is not trivially 1";
    for (int i = 0; i < a.N; ++i) {
      const double got = a.w01[size_t(i) * a.H + h];
      if (std::isnan(got)) continue;
      EXPECT_NEAR(got / want, 1.0, 2e-5) << "head " << h << " example " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 600);
}

// The score of each example is its label: AUC 1; negated: 0; constant: 0.5.
TEST(HeadMetrics, AucOfPerfectReversedAndTiedScores) {
  std::vector<int> y = {0, 1, 0, 1, 1, 0, 0, 1};
  std::vector<double> s(y.size()), neg(y.size()), flat(y.size(), 3.0);
  for (size_t i = 0; i < y.size(); ++i) s[i] = y[i] + 0.1 * double(i), neg[i] = -s[i];
  EXPECT_DOUBLE_EQ(roc_auc(s, y), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc(neg, y), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc(flat, y), 0.5);
  // One tied positive/negative pair out of 4 counts one half: (3 + 0.5) / 4.
  EXPECT_DOUBLE_EQ(roc_auc({0.0, 1.0, 1.0, 2.0}, {0, 0, 1, 1}), 0.875);
  EXPECT_THROW(roc_auc({1.0, 2.0}, {1, 1}), Error);
}

// Two Gaussian blobs separated by a margin along (1, -1): the probe is exact.
TEST(HeadMetrics, ProbeOnSeparableDataIsPerfect) {
  Rng rng(5, 0);
  auto make = [&](int n, std::vector<double>& x, std::vector<int>& y) {
    for (int i = 0; i < n; ++i) {
      const int label = i % 2;
      const double u = rng.uniform() * 4 - 2, m = label ? 0.5 : -0.5;
      x.push_back(u + m), x.push_back(u - m + 3.0), y.push_back(label);
    }
  };
  std::vector<double> xtr, xte;
  std::vector<int> ytr, yte;
  make(400, xtr, ytr);
  make(400, xte, yte);
  EXPECT_DOUBLE_EQ(probe_accuracy(xtr, ytr, xte, yte, 2), 1.0);
  // Labels that carry no signal cannot be learned: near chance.
  std::vector<int> shuffled = yte;
  for (size_t i = 0; i < shuffled.size(); i += 4) shuffled[i] = 1 - shuffled[i];
  EXPECT_LT(probe_accuracy(xtr, ytr, xte, shuffled, 2), 0.8);
}

TEST(HeadMetrics, FailureSignatures) {
  HeadMetricsOptions o;
  EXPECT_EQ(failure_signature(0.99, 0.95, 1.0, 30, o), "none");
  EXPECT_EQ(failure_signature(0.99, 0.6, 1.0, 30, o), "separable but misaligned");
  EXPECT_EQ(failure_signature(0.7, 0.5, 0.002, 30, o), "w01 too extreme");
  EXPECT_EQ(failure_signature(0.7, 0.5, 22.0, 30, o), "w01 too extreme");
  EXPECT_EQ(failure_signature(0.8, 0.6, 2.8, 1.7, o), "w02 too small");
  EXPECT_EQ(failure_signature(0.8, 0.6, 1.2, 40, o), "other");
}

TEST(HeadMetrics, RejectsNonCount01Models) {
  TaskConfig tc;  // max-of-list
  auto task = make_task(tc);
  ModelConfig c;
  c.d_vocab = task->vocab_size(), c.n_ctx = task->n_ctx();
  Model<float> m(c);
  m.init(1);
  const Dataset d = generate(*task, Split::Test, 4, 1, 0);
  try {
    head_metrics(m, *task, d, d);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("need a Count01 model"), std::string::npos) << e.what();
  }
}

}  // namespace interp_head_metrics_test
}  // namespace hc
