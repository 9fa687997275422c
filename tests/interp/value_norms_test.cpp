// Value norms equal a direct computation, and the monotonicity summary sees
// a constructed ordering.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "interp/value_norms.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {
namespace interp_value_norms_test {  // this file's own names (unity builds batch test files)
Model<float> random_model(const Task& task, int layers) {
  ModelConfig c;
  c.n_layers = layers;
  c.d_model = 12;
  c.n_heads = 3;
  c.d_head = 5;
  c.d_vocab = task.vocab_size();
  c.n_ctx = task.n_ctx();
  c.init_std = 0.5;
  Model<float> m(c);
  m.init(21);
  return m;
}

const std::vector<nlohmann::json>& find_row(const Table& t, int layer, int head, int token) {
  for (const auto& r : t.rows)
    if (r[0] == layer && r[1] == head && r[2] == token) return r;
  throw std::logic_error("row not found");
}

TEST(ValueNorms, EqualADirectComputationForOneHeadAndToken) {
  TaskConfig tc;
  auto task = make_task(tc);
  const Model<float> m = random_model(*task, 2);
  const ModelConfig& c = m.config();
  const int D = c.d_model, E = c.d_head, l = 1, h = 2, t = 7;
  const float* WE = m.param(ParamKind::W_E);
  const float* WV = m.param(ParamKind::W_V, l) + size_t(h) * D * E;  // [D,E]
  const float* WO = m.param(ParamKind::W_O, l) + size_t(h) * E * D;  // [E,D]
  std::vector<double> v(size_t(E), 0.0), o(size_t(D), 0.0);
  for (int e = 0; e < E; ++e)
    for (int d = 0; d < D; ++d) v[size_t(e)] += double(WE[t * D + d]) * WV[d * E + e];
  for (int d = 0; d < D; ++d)
    for (int e = 0; e < E; ++e) o[size_t(d)] += v[size_t(e)] * WO[e * D + d];
  double vn = 0, on = 0;
  for (double x : v) vn += x * x;
  for (double x : o) on += x * x;
  const ValueNormsResult r = value_norms(m, *task);
  const auto& row = find_row(r.tables.at(0), l, h, t);
  EXPECT_NEAR(row[4].get<double>(), std::sqrt(vn), 1e-5 * std::sqrt(vn));
  EXPECT_NEAR(row[5].get<double>(), std::sqrt(on), 1e-5 * std::sqrt(on));
  EXPECT_EQ(r.tables[0].rows.size(), size_t(2 * 3 * c.d_vocab));
  EXPECT_TRUE(r.summary["heads"].contains("L1H2"));
}

TEST(ValueNorms, MonotoneSummaryDetectsAConstructedOrdering) {
  TaskConfig tc;
  auto task = make_task(tc);
  Model<float> m = random_model(*task, 1);
  const int D = m.config().d_model;
  // Number t embeds as (t + 1) times one fixed direction: every head's value
  // norm then grows linearly with t. Other tokens keep random embeddings.
  float* WE = m.param(ParamKind::W_E);
  std::vector<float> dir(WE + 0, WE + D);  // any fixed direction: row 0 before the edit
  for (int t = 0; t < task->config().num_range; ++t)
    for (int d = 0; d < D; ++d) WE[t * D + d] = float(t + 1) * dir[size_t(d)];
  const ValueNormsResult r = value_norms(m, *task);
  for (const char* h : {"head0", "head1", "head2"}) {
    EXPECT_EQ(r.summary["heads"][h]["v_norm"]["monotone"], "increasing") << h;
    EXPECT_NEAR(r.summary["heads"][h]["ov_norm"]["spearman"].get<double>(), 1.0, 1e-12) << h;
  }
  EXPECT_EQ(r.summary["tokens"].size(), size_t(task->config().num_range));
}

TEST(ValueNorms, SpearmanAndMonotoneHelpers) {
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0, 1e-12);
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0, 1e-12);
  EXPECT_NEAR(spearman({1, 2, 3}, {5, 5, 5}), 0.0, 1e-12);
  EXPECT_EQ(monotone_direction({1, 1, 2}), "increasing");
  EXPECT_EQ(monotone_direction({3, 2, 2}), "decreasing");
  EXPECT_EQ(monotone_direction({1, 3, 2}), "none");
  EXPECT_EQ(monotone_direction({2, 2}), "constant");
}

TEST(ValueNorms, Count01ReportsTheThreeSymbols) {
  TaskConfig tc;
  tc.name = "count01";
  auto task = make_task(tc);
  const ValueNormsResult r = value_norms(random_model(*task, 1), *task);
  EXPECT_EQ(r.summary["tokens"], nlohmann::json({"0", "1", "2"}));
  TaskConfig other;  // a Max-of-List task does not fit a Count01-sized model
  EXPECT_THROW(value_norms(random_model(*task, 1), *make_task(other)), Error);
}

}  // namespace interp_value_norms_test
}  // namespace hc
