// Composition scores against a plain implementation of TransformerLens's
// definition (HookedTransformer.all_composition_scores: left = OV of the
// sender, right = QK, QK^T or OV of the receiver, |left right|_F / (|left|_F
// |right|_F)), written here with loops from the weights of a PyTorch-trained
// two-layer fixture; and the random baseline against random-init models.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "interp/composition.hpp"
#include "puzzle2_model.hpp"

namespace hc {
namespace composition_test {

using Mat = std::vector<std::vector<double>>;

Mat zeros(int r, int c) { return Mat(size_t(r), std::vector<double>(size_t(c), 0.0)); }
Mat mul(const Mat& a, const Mat& b) {
  Mat o = zeros(int(a.size()), int(b[0].size()));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t k = 0; k < b.size(); ++k)
      for (size_t j = 0; j < b[0].size(); ++j) o[i][j] += a[i][k] * b[k][j];
  return o;
}
Mat transpose(const Mat& a) {
  Mat o = zeros(int(a[0].size()), int(a.size()));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a[0].size(); ++j) o[j][i] = a[i][j];
  return o;
}
double frob(const Mat& a) {
  double s = 0;
  for (const auto& r : a)
    for (double x : r) s += x * x;
  return std::sqrt(s);
}
// W[layer][head] as a [rows, cols] matrix (TransformerLens shapes).
Mat weight(const Model<float>& m, ParamKind k, int l, int h, int rows, int cols) {
  Mat o = zeros(rows, cols);
  const float* p = m.param(k, l) + size_t(h) * rows * cols;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) o[size_t(i)][size_t(j)] = p[size_t(i) * cols + j];
  return o;
}

void expect_tl(const Model<float>& m) {
  const CompositionScores s = composition_scores(m, 50);
  const ModelConfig& c = m.config();
  const int H = c.n_heads, D = c.d_model, E = c.d_head;
  ASSERT_EQ(s.L, 2);
  for (int a = 0; a < H; ++a)
    for (int b = 0; b < H; ++b) {
      const Mat OV0 = mul(weight(m, ParamKind::W_V, 0, a, D, E), weight(m, ParamKind::W_O, 0, a, E, D));
      const Mat OV1 = mul(weight(m, ParamKind::W_V, 1, b, D, E), weight(m, ParamKind::W_O, 1, b, E, D));
      const Mat QK1 = mul(weight(m, ParamKind::W_Q, 1, b, D, E), transpose(weight(m, ParamKind::W_K, 1, b, D, E)));
      const double q = frob(mul(OV0, QK1)) / (frob(OV0) * frob(QK1));
      const double k = frob(mul(OV0, transpose(QK1))) / (frob(OV0) * frob(QK1));
      const double v = frob(mul(OV0, OV1)) / (frob(OV0) * frob(OV1));
      EXPECT_NEAR(s.at(CompositionKind::q, a, H + b), q, 1e-9 * q) << a << "->" << b;
      EXPECT_NEAR(s.at(CompositionKind::k, a, H + b), k, 1e-9 * k) << a << "->" << b;
      EXPECT_NEAR(s.at(CompositionKind::v, a, H + b), v, 1e-9 * v) << a << "->" << b;
      // No composition backwards or within a layer.
      EXPECT_EQ(s.at(CompositionKind::q, H + b, a), 0.0);
      EXPECT_EQ(s.at(CompositionKind::v, a, b), 0.0);
    }
}

TEST(Composition, EqualsTransformerLensDefinitionOnPyTorchFixtures) {
  for (const char* dir : {"unique", "digits"}) {
    SCOPED_TRACE(dir);
    const auto p = testing::load_puzzle2(dir);
    expect_tl(*p.model);
  }
}

TEST(Composition, RandomModelsScoreLikeTheBaseline) {
  // Weights drawn i.i.d. Gaussian are what the baseline samples: the scores of
  // a random-init model must lie where the baseline says (mean within 4 sd of
  // the mean of 16 draws), and a trained model's need not.
  ModelConfig c;
  c.n_layers = 2;
  c.d_model = 32;
  c.n_heads = 4;
  c.d_head = 8;
  c.d_vocab = 10;
  c.n_ctx = 8;
  Model<float> m(c);
  m.init(7);
  const CompositionScores s = composition_scores(m, 400, 3);
  EXPECT_EQ(s.baseline_draws, 400);
  for (int k = 0; k < 3; ++k) {
    ASSERT_GT(s.baseline_sd[k], 0.0);
    ASSERT_GT(s.baseline_mean[k], 0.0);
    ASSERT_LT(s.baseline_mean[k], 1.0);
    double mean = 0;
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) mean += s.at(CompositionKind(k), a, 4 + b) / 16.0;
    EXPECT_NEAR(mean, s.baseline_mean[k], 4 * s.baseline_sd[k] / 4.0) << composition_kind_name(CompositionKind(k));
  }
  // Same seed, same baseline.
  const CompositionScores again = composition_scores(m, 400, 3);
  EXPECT_EQ(again.baseline_mean[2], s.baseline_mean[2]);
}

TEST(Composition, OneLayerModelIsAClearError) {
  ModelConfig c;
  Model<float> m(c);
  m.init(1);
  try {
    composition_scores(m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at least 2 layers"), std::string::npos) << e.what();
  }
}

}  // namespace composition_test
}  // namespace hc
