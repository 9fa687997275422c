// QK and OV circuits: table entries equal manual dot products, the four QK
// parts predict layer-0 attention scores exactly, the Count01 fixture's scores
// at `=` are the token table, and OV copying on a constructed model.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "core/rng.hpp"
#include "interp/cache.hpp"
#include "interp/circuits.hpp"
#include "io/layouts.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {
namespace interp_circuits_test {  // this file's own names (unity builds batch test files)
std::unique_ptr<Task> task_named(const char* name) {
  TaskConfig tc;
  tc.name = name;
  return make_task(tc);
}

Model<float> random_model(const Task& task, bool biases, uint64_t seed) {
  ModelConfig c;
  c.d_model = 12;
  c.n_heads = 3;
  c.d_head = 4;
  c.d_vocab = task.vocab_size();
  c.n_ctx = task.n_ctx();
  c.biases = biases;
  c.init_std = 0.5;
  Model<float> m(c);
  m.init(seed);
  Rng r(seed + 1);
  for (const auto& e : m.table().entries())
    if (e.kind == ParamKind::b_Q || e.kind == ParamKind::b_K || e.kind == ParamKind::b_V)
      for (size_t i = 0; i < e.size; ++i) m.params()[e.offset + i] = float(0.3 * r.normal());
  return m;
}

// value of a long-format table row whose first columns match `key`.
double lookup(const CircuitsResult& r, const std::string& table, const std::vector<nlohmann::json>& key) {
  for (const Table& t : r.tables) {
    if (t.name != table) continue;
    for (const auto& row : t.rows)
      if (std::equal(key.begin(), key.end(), row.begin())) return row.back().get<double>();
  }
  throw std::logic_error("no row in " + table);
}

TEST(Circuits, QkEntryEqualsManualDotProduct) {
  auto task = task_named("max-of-list");
  const Model<float> m = random_model(*task, true, 2);
  const int D = 12, E = 4, h = 1, a = 12 /* ANS */, b = 7;
  const float* WE = m.param(ParamKind::W_E);
  const float* WQ = m.param(ParamKind::W_Q, 0) + size_t(h) * D * E;
  const float* WK = m.param(ParamKind::W_K, 0) + size_t(h) * D * E;
  const float* bQ = m.param(ParamKind::b_Q, 0) + size_t(h) * E;
  const float* bK = m.param(ParamKind::b_K, 0) + size_t(h) * E;
  double s = 0;
  for (int e = 0; e < E; ++e) {
    double q = bQ[e], k = bK[e];
    for (int d = 0; d < D; ++d) {
      q += double(WE[a * D + d]) * WQ[d * E + e];
      k += double(WE[b * D + d]) * WK[d * E + e];
    }
    s += q * k;
  }
  const CircuitsResult r = circuits(m, *task);
  EXPECT_NEAR(lookup(r, "qk_token", {0, h, "ANS", "7"}), s / 2.0, 1e-5);
  EXPECT_EQ(r.summary["query_token"], "ANS");
}

TEST(Circuits, QkPartsAddUpToLayerZeroScores) {
  auto task = task_named("max-of-list");
  const Model<float> m = random_model(*task, true, 5);
  const CircuitsResult r = circuits(m, *task);
  const Dataset ds = generate(*task, Split::Test, 4, 1, 0);
  const int T = task->n_ctx(), H = 3;
  std::vector<int32_t> tokens;
  for (const Example& ex : ds.examples) tokens.insert(tokens.end(), ex.seq.begin(), ex.seq.begin() + T);
  const Activations<float> a = run_with_cache(m, tokens.data(), 4, nullptr, T);
  const auto& vocab = task->vocab();
  for (int b = 0; b < 4; ++b)
    for (int h = 0; h < H; ++h)
      for (int i : {3, T - 1})
        for (int j = 0; j <= i; j += 2) {
          const std::string ta = vocab[size_t(tokens[size_t(b * T + i)])];
          const std::string tb = vocab[size_t(tokens[size_t(b * T + j)])];
          const double predicted = lookup(r, "qk_token", {0, h, ta, tb}) + lookup(r, "qk_position", {0, h, i, j}) +
                                   lookup(r, "qk_token_position", {0, h, ta, j}) +
                                   lookup(r, "qk_position_token", {0, h, i, tb});
          const double actual = a.layers[0].scores[((size_t(b) * H + h) * T + i) * T + j];
          EXPECT_NEAR(predicted, actual, 1e-4) << b << " " << h << " " << i << " " << j;
        }
}

TEST(Circuits, QkTablePredictsCount01FixtureScoresAtEquals) {
  auto task = task_named("count01");
  const Model<float> m = testing::fixture_model("count01_tl.safetensors", *task);
  const CircuitsResult r = circuits(m, *task);
  EXPECT_EQ(r.summary["query_token"], "=");
  const Dataset ds = load_text(*task, testing::fixture("count01_tl.test.txt"));
  const int T = task->n_ctx(), H = m.config().n_heads, n = 20;
  std::vector<int32_t> tokens, rows;
  for (int b = 0; b < n; ++b) {
    const Example& ex = ds.examples[size_t(b)];
    tokens.insert(tokens.end(), ex.seq.begin(), ex.seq.begin() + T);
    rows.push_back(ex.query_pos);
  }
  const Activations<float> a = run_with_cache(m, tokens.data(), n, rows.data(), 1);
  for (int b = 0; b < n; ++b)
    for (int h = 0; h < H; ++h)
      for (int j = 0; j <= rows[size_t(b)]; ++j) {
        const std::string key = task->vocab()[size_t(tokens[size_t(b * T + j)])];
        EXPECT_NEAR(lookup(r, "qk_token", {0, h, "=", key}), a.layers[0].scores[(size_t(b) * H + h) * T + j], 1e-4);
      }
}

TEST(Circuits, OvDiagonalOnConstructedModel) {
  auto task = task_named("max-of-list");
  const int V = task->vocab_size();
  ModelConfig c;
  c.d_model = V;
  c.n_heads = 2;
  c.d_head = V;
  c.d_vocab = V;
  c.n_ctx = task->n_ctx();
  Model<float> m(c);
  std::fill(m.params().begin(), m.params().end(), 0.0f);
  // Identity embedding, value, output and unembedding: head 0's OV circuit is
  // the identity (copies every token). Head 1's value map shifts token t to
  // t + 1 (mod V): it never copies.
  auto eye = [&](float* p, int shift) {
    for (int i = 0; i < V; ++i) p[size_t(i) * V + size_t((i + shift) % V)] = 1.0f;
  };
  eye(m.param(ParamKind::W_E), 0);
  eye(m.param(ParamKind::W_U), 0);
  for (int h = 0; h < 2; ++h) {
    eye(m.param(ParamKind::W_V, 0) + size_t(h) * V * V, h);
    eye(m.param(ParamKind::W_O, 0) + size_t(h) * V * V, 0);
  }
  const CircuitsResult r = circuits(m, *task);
  EXPECT_DOUBLE_EQ(r.summary["heads"]["head0"]["ov_copying"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r.summary["heads"]["head1"]["ov_copying"].get<double>(), 0.0);
  EXPECT_EQ(r.summary["heads"]["head1"]["ov_argmax"]["3"], "4");
  EXPECT_DOUBLE_EQ(lookup(r, "ov_token", {0, 0, "5", "5"}), 1.0);
  EXPECT_DOUBLE_EQ(lookup(r, "ov_token", {0, 0, "5", "6"}), 0.0);
}

}  // namespace interp_circuits_test
}  // namespace hc
