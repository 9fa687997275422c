// The folded two-layer path (model/two_layer.hpp) against the plain path it
// replaces in training (Model::set_folded(false), kept as the oracle): loss,
// gradients, logits and trained weights, with positions on and off, biases on
// and off, several loss rows per example in varying places and a skipped row;
// and bit-identical results at any thread count. (transformer_test.cpp also
// checks the folded path at L = 2 against the naive reference and finite
// differences, since Model uses it there.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <tuple>

#include "core/rng.hpp"
#include "model/model.hpp"
#include "train/adamw.hpp"

namespace hc {
namespace model_two_layer_test {  // this file's own names (unity builds batch test files)
ModelConfig config(bool pos, bool biases, int d_head = 5) {
  ModelConfig c;
  c.n_layers = 2;
  c.d_model = 12;
  c.n_heads = 3;
  c.d_head = d_head;  // 5: HE = 15 != D, and the kernels' run-time width; 8 and 16: their fixed-width paths
  c.d_vocab = 9;
  c.n_ctx = 8;
  c.pos_embed = pos;
  c.biases = biases;
  c.init_std = 0.4;
  return c;
}

// B sequences, three loss rows each: two in a random place and the last
// position, the middle one without a target (skipped by the loss).
Batch batch_with_three_rows(const ModelConfig& c, int B, uint64_t seed) {
  Rng r(seed);
  Batch b;
  b.B = B;
  b.T = c.n_ctx;
  b.P = 3;
  for (int i = 0; i < B * c.n_ctx; ++i) b.tokens.push_back(int32_t(r.below(c.d_vocab)));
  for (int i = 0; i < B; ++i) {
    const int row = r.range(0, c.n_ctx - 3);
    b.rows.insert(b.rows.end(), {row, row + 1, c.n_ctx - 1});
    b.targets.insert(b.targets.end(), {int32_t(r.below(c.d_vocab)), -1, int32_t(r.below(c.d_vocab))});
  }
  return b;
}

template <class S>
Model<S> model_with_biases(const ModelConfig& c, uint64_t seed) {
  Model<S> m(c);
  m.init(seed);
  Rng r(seed + 1);  // biases start at zero; give them values so that they matter
  for (const auto& e : m.table().entries())
    if (e.kind == ParamKind::b_Q || e.kind == ParamKind::b_K || e.kind == ParamKind::b_V ||
        e.kind == ParamKind::b_O || e.kind == ParamKind::b_U)
      for (size_t i = 0; i < e.size; ++i) m.params()[e.offset + i] = S(0.3 * r.normal());
  return m;
}

class TwoLayerCases : public ::testing::TestWithParam<std::tuple<bool, bool, int>> {
 protected:
  ModelConfig cfg() const {
    return config(std::get<0>(GetParam()), std::get<1>(GetParam()), std::get<2>(GetParam()));
  }
};

TEST_P(TwoLayerCases, DoublePrecisionLossGradientAndLogitsEqualThePlainPath) {
  Model<double> m = model_with_biases<double>(cfg(), 3);
  const Batch b = batch_with_three_rows(cfg(), 45, 7);  // two chunks, the second partial
  ASSERT_TRUE(m.folded());
  std::vector<double> g_fold, g_plain, l_fold, l_plain;
  const double loss_fold = m.loss_and_grad(b, g_fold, 2);
  const double logit_loss_fold = m.logits(b, l_fold, 2);
  m.set_folded(false);
  ASSERT_FALSE(m.folded());
  const double loss_plain = m.loss_and_grad(b, g_plain, 2);
  m.logits(b, l_plain, 2);
  EXPECT_NEAR(loss_fold, loss_plain, 1e-13);
  EXPECT_NEAR(logit_loss_fold, loss_plain, 1e-13);
  ASSERT_EQ(l_fold.size(), l_plain.size());
  for (size_t i = 0; i < l_fold.size(); ++i) ASSERT_NEAR(l_fold[i], l_plain[i], 1e-12) << i;
  ASSERT_EQ(g_fold.size(), g_plain.size());
  for (const auto& e : m.table().entries())
    for (size_t i = 0; i < e.size; ++i)
      ASSERT_NEAR(g_fold[e.offset + i], g_plain[e.offset + i], 1e-13) << e.name << "[" << i << "]";
}

// Float training: 30 AdamW steps on each path from the same start end at the
// same weights within float tolerance. Except b_K: softmax ignores a shift
// shared by every key, so b_K's gradient is exactly zero and each path's is
// float rounding noise, which Adam scales up to lr-sized steps; its gradient
// is checked to be noise-sized instead.
TEST_P(TwoLayerCases, FloatTrainingEndsAtThePlainPathsWeights) {
  const ModelConfig c = cfg();
  Model<float> fold = model_with_biases<float>(c, 5);
  Model<float> plain = fold;
  plain.set_folded(false);
  AdamWConfig opt;
  opt.lr = 1e-2;
  AdamW adam_fold(opt, fold.params().size()), adam_plain(opt, plain.params().size());
  std::vector<float> g_fold, g_plain;
  for (int step = 0; step < 30; ++step) {
    const Batch b = batch_with_three_rows(c, 64, 100 + uint64_t(step));
    const double lf = fold.loss_and_grad(b, g_fold, 2);
    const double lp = plain.loss_and_grad(b, g_plain, 2);
    ASSERT_NEAR(lf, lp, 1e-5 * std::max(1.0, std::abs(lp))) << "step " << step;
    float gmax = 0;
    for (float g : g_plain) gmax = std::max(gmax, std::abs(g));
    for (size_t i = 0; i < g_fold.size(); ++i) ASSERT_NEAR(g_fold[i], g_plain[i], 1e-5f * gmax) << "step " << step;
    adam_fold.step(fold.params().data(), g_fold.data(), opt.lr);
    adam_plain.step(plain.params().data(), g_plain.data(), opt.lr);
  }
  for (const auto& e : fold.table().entries())
    for (size_t i = 0; i < e.size; ++i) {
      if (e.kind == ParamKind::b_K) {
        ASSERT_LT(std::abs(g_fold[e.offset + i]), 1e-6f) << e.name;
        continue;
      }
      ASSERT_NEAR(fold.params()[e.offset + i], plain.params()[e.offset + i], 1e-4f) << e.name << "[" << i << "]";
    }
}

INSTANTIATE_TEST_SUITE_P(PositionsBiasesHeadWidths, TwoLayerCases,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Values(5, 8, 16)));

TEST(TwoLayer, GradientIsBitIdenticalAtAnyThreadCount) {
  for (const auto& [pos, E] : {std::pair{false, 5}, std::pair{true, 5}, std::pair{false, 8}, std::pair{true, 16}}) {
    Model<float> m = model_with_biases<float>(config(pos, true, E), 9);
    const Batch b = batch_with_three_rows(m.config(), 300, 4);
    std::vector<float> g1, g2, g3;
    const double l1 = m.loss_and_grad(b, g1, 1);
    const double l2 = m.loss_and_grad(b, g2, 2);
    const double l3 = m.loss_and_grad(b, g3, 3);
    EXPECT_EQ(l1, l2);
    EXPECT_EQ(l1, l3);
    ASSERT_EQ(g1.size(), g2.size());
    EXPECT_EQ(0, std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float))) << "pos " << pos << " E " << E;
    EXPECT_EQ(0, std::memcmp(g1.data(), g3.data(), g1.size() * sizeof(float))) << "pos " << pos << " E " << E;
  }
}

// Only L = 2 takes the folded path; one layer and three layers keep the plain one.
TEST(TwoLayer, OnlyTwoLayerModelsFold) {
  for (int layers : {1, 2, 3}) {
    ModelConfig c = config(true, false);
    c.n_layers = layers;
    EXPECT_EQ(Model<float>(c).folded(), layers == 2) << layers;
  }
}

}  // namespace model_two_layer_test
}  // namespace hc
