// Attention-to-target statistics: exact values under uniform attention, and
// class masses that add up to 1 on a trained model.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "interp/attention_stats.hpp"
#include "io/layouts.hpp"

namespace hc {
namespace interp_attention_stats_test {  // this file's own names (unity builds batch test files)
TEST(AttentionStats, UniformAttentionGivesTheCountingAnswer) {
  // W_Q = 0: every score is 0, so the query row is uniform over the 11 keys
  // BOS..ANS (positions 0..10), and ties make the first number the top one.
  ModelConfig c;
  c.d_model = 8;
  c.n_heads = 2;
  c.d_head = 4;
  Model<float> m(c);
  m.init(3);
  const ParamInfo& wq = m.table().get(ParamKind::W_Q, 0);
  std::fill_n(m.params().begin() + long(wq.offset), wq.size, 0.0f);
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 400, 9, 1);
  double mass_max = 0, top = 0;
  for (const auto& ex : data.examples) {
    int n_max = 0;
    for (int j = 1; j < 10; j += 2) n_max += ex.seq[size_t(j)] == ex.answer;
    mass_max += n_max / 11.0;
    top += ex.seq[1] == ex.answer;
  }
  const auto r = attention_stats(m, *task, data, default_edge_target(*task), 2);
  for (const char* h : {"0", "1"}) {
    const auto& j = r.summary["heads"][h];
    EXPECT_NEAR(j["mass_target"].get<double>(), mass_max / 400, 1e-6);
    EXPECT_NEAR(j["mass"]["special"].get<double>(), 6.0 / 11.0, 1e-6);  // BOS, 4 SEP, ANS
    EXPECT_NEAR(j["top_is_target"].get<double>(), top / 400, 1e-12);
  }
}

TEST(AttentionStats, ClassMassesAddUpToOne) {
  auto task = make_task(TaskConfig{});
  const Model<float> m = testing::fixture_model("max_of_list_torch.safetensors", *task);
  const Dataset data = generate(*task, Split::Test, 300, 1, 1);
  const auto r = attention_stats(m, *task, data, default_edge_target(*task), 2);
  for (const auto& [h, j] : r.summary["heads"].items()) {
    double sum = 0;
    for (const auto& [k, v] : j["mass"].items()) sum += v.get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-5) << "head " << h;
    EXPECT_DOUBLE_EQ(j["mass"]["max"].get<double>(), j["mass_target"].get<double>());
  }
  // The fixture's head 0 is a max head (ANALYSES.md): most of its mass is on the max.
  EXPECT_GT(r.summary["heads"]["0"]["mass_target"].get<double>(), 0.8);
}

}  // namespace interp_attention_stats_test
}  // namespace hc
