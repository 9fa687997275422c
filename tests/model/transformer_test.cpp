// The optimised forward (Fast and Full modes) against the naive reference, and
// the hand-written backward against finite differences in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <tuple>

#include "core/rng.hpp"
#include "model/model.hpp"
#include "reference_model.hpp"

namespace hc {
namespace model_transformer_test {  // this file's own names (unity builds batch test files)
struct Case {
  int layers;
  bool pos;
  bool biases;
};

ModelConfig small_config(const Case& k) {
  ModelConfig c;
  c.n_layers = k.layers;
  c.d_model = 6;
  c.n_heads = 2;
  c.d_head = 3;  // E independent of D / H
  c.d_vocab = 5;
  c.n_ctx = 5;
  c.pos_embed = k.pos;
  c.biases = k.biases;
  c.init_std = 0.5;
  return c;
}

// A batch of B random sequences with two query rows each, in random places.
Batch random_batch(const ModelConfig& c, int B, uint64_t seed) {
  Rng r(seed);
  Batch b;
  b.B = B;
  b.T = c.n_ctx;
  b.P = 2;
  for (int i = 0; i < B * c.n_ctx; ++i) b.tokens.push_back(int32_t(r.below(c.d_vocab)));
  for (int i = 0; i < B; ++i) {
    int row = r.range(0, c.n_ctx - 2);
    b.rows.push_back(row);
    b.rows.push_back(row + 1);
    b.targets.push_back(int32_t(r.below(c.d_vocab)));
    b.targets.push_back(int32_t(r.below(c.d_vocab)));
  }
  return b;
}

Model<double> random_model(const ModelConfig& c, uint64_t seed) {
  Model<double> m(c);
  m.init(seed);
  // Biases start at zero; give them values so their gradients are exercised.
  Rng r(seed + 1);
  for (const auto& e : m.table().entries())
    if (e.kind == ParamKind::b_Q || e.kind == ParamKind::b_K || e.kind == ParamKind::b_V ||
        e.kind == ParamKind::b_O || e.kind == ParamKind::b_U)
      for (size_t i = 0; i < e.size; ++i) m.params()[e.offset + i] = 0.3 * r.normal();
  return m;
}

class TransformerCases : public ::testing::TestWithParam<std::tuple<int, bool, bool>> {
 protected:
  Case kase() const { return {std::get<0>(GetParam()), std::get<1>(GetParam()), std::get<2>(GetParam())}; }
};

TEST_P(TransformerCases, FastAndFullForwardMatchNaiveReference) {
  const ModelConfig c = small_config(kase());
  Model<double> m = random_model(c, 11);
  Batch b = random_batch(c, 40, 5);  // more than one chunk
  std::vector<double> fast;
  m.logits(b, fast, 2);
  Activations<double> full;
  m.run_full(b.tokens.data(), b.B, nullptr, 0, nullptr, full);  // all positions
  for (int i = 0; i < b.B; ++i) {
    auto ref = testing::reference_logits(c, m.table(), m.params().data(), b.tokens.data() + i * c.n_ctx);
    for (int p = 0; p < b.P; ++p) {
      const int row = b.rows[i * b.P + p];
      for (int v = 0; v < c.d_vocab; ++v) {
        ASSERT_NEAR(fast[(size_t(i) * b.P + p) * c.d_vocab + v], ref[row * c.d_vocab + v], 1e-12);
      }
    }
    for (int t = 0; t < c.n_ctx; ++t)
      for (int v = 0; v < c.d_vocab; ++v)
        ASSERT_NEAR(full.logits[(size_t(i) * c.n_ctx + t) * c.d_vocab + v], ref[t * c.d_vocab + v], 1e-12);
  }
}

// Every element of every parameter tensor: central differences in double.
TEST_P(TransformerCases, GradientMatchesFiniteDifferences) {
  const ModelConfig c = small_config(kase());
  Model<double> m = random_model(c, 21);
  Batch b = random_batch(c, 37, 9);
  std::vector<double> grad;
  m.loss_and_grad(b, grad, 2);
  std::vector<double> scratch;
  const double h = 1e-5;
  for (const auto& e : m.table().entries()) {
    for (size_t i = 0; i < e.size; ++i) {
      double& w = m.params()[e.offset + i];
      const double w0 = w;
      w = w0 + h;
      const double lp = m.logits(b, scratch, 1);
      w = w0 - h;
      const double lm = m.logits(b, scratch, 1);
      w = w0;
      const double numeric = (lp - lm) / (2 * h);
      const double analytic = grad[e.offset + i];
      ASSERT_NEAR(analytic, numeric, 1e-7 + 1e-6 * std::abs(numeric)) << e.name << "[" << i << "]";
    }
  }
}

// The generic layer-0 path (Full mode) has its own backward: check it too.
TEST_P(TransformerCases, FullModeBackwardMatchesFastMode) {
  const ModelConfig c = small_config(kase());
  Model<double> m = random_model(c, 31);
  Batch b = random_batch(c, 20, 3);
  std::vector<double> fast_grad;
  m.loss_and_grad(b, fast_grad, 1);
  std::vector<double> full_grad(m.table().total(), 0.0);
  Activations<double> a;
  m.run_full(b.tokens.data(), b.B, b.rows.data(), b.P, nullptr, a);
  cross_entropy(a, c.d_vocab, b.targets.data(), 1.0 / (b.B * b.P));
  backward(c, m.table(), m.params().data(), a, full_grad.data(), static_cast<TableGrads<double>*>(nullptr));
  for (size_t i = 0; i < full_grad.size(); ++i) ASSERT_NEAR(full_grad[i], fast_grad[i], 1e-12) << i;
}

INSTANTIATE_TEST_SUITE_P(LayersPositionsBiases, TransformerCases,
                         ::testing::Combine(::testing::Values(1, 2), ::testing::Bool(), ::testing::Bool()));

TEST(Transformer, GradientIsBitIdenticalAtAnyThreadCount) {
  ModelConfig c = small_config({1, true, false});
  Model<float> m(c);
  m.init(4);
  Batch b = random_batch(c, 200, 2);
  std::vector<float> g1, g2;
  double l1 = m.loss_and_grad(b, g1, 1);
  double l2 = m.loss_and_grad(b, g2, 2);
  EXPECT_EQ(l1, l2);
  ASSERT_EQ(g1.size(), g2.size());
  EXPECT_EQ(0, std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float)));
}

TEST(Transformer, HookEditsChangeDownstreamActivations) {
  ModelConfig c = small_config({1, true, true});
  Model<double> m = random_model(c, 8);
  Batch b = random_batch(c, 3, 1);
  Hooks<double> hooks;
  hooks.add({Site::pattern, 0}, [](HookView<double>& v) {
    std::fill(v.data, v.data + v.numel(), 0.0);  // no attention at all
  });
  Activations<double> a;
  m.run_full(b.tokens.data(), b.B, nullptr, 0, &hooks, a);
  // With zero patterns, z is zero and attn_out is exactly b_O.
  for (double z : a.layers[0].z) ASSERT_EQ(z, 0.0);
  const double* bO = m.param(ParamKind::b_O, 0);
  for (size_t n = 0; n < a.layers[0].attn_out.size(); ++n) ASSERT_EQ(a.layers[0].attn_out[n], bO[n % c.d_model]);
}

TEST(Transformer, HeadResultsPlusBiasSumToAttentionOut) {
  ModelConfig c = small_config({2, true, true});
  Model<double> m = random_model(c, 12);
  Batch b = random_batch(c, 4, 6);
  Activations<double> a;
  m.run_full(b.tokens.data(), b.B, nullptr, 0, nullptr, a);
  for (int l = 0; l < c.n_layers; ++l) {
    const auto& la = a.layers[l];
    const double* bO = m.param(ParamKind::b_O, l);
    for (int n = 0; n < b.B * la.Q; ++n)
      for (int d = 0; d < c.d_model; ++d) {
        double s = bO[d];
        for (int h = 0; h < c.n_heads; ++h) s += la.result[(size_t(n) * c.n_heads + h) * c.d_model + d];
        ASSERT_NEAR(s, la.attn_out[size_t(n) * c.d_model + d], 1e-12);
      }
  }
}

}  // namespace model_transformer_test
}  // namespace hc
