#include "interp/composition.hpp"

#include <Eigen/Dense>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace hc {

namespace {

using RM = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

RM head_matrix(const Model<float>& m, ParamKind k, int layer, int head, int rows, int cols) {
  const float* p = m.param(k, layer) + size_t(head) * rows * cols;
  RM out(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) out(i, j) = double(p[size_t(i) * cols + j]);
  return out;
}

double score(const RM& left, const RM& right) { return (left * right).norm() / (left.norm() * right.norm()); }

}  // namespace

const char* composition_kind_name(CompositionKind k) {
  return k == CompositionKind::q ? "q" : k == CompositionKind::k ? "k" : "v";
}

CompositionScores composition_scores(const Model<float>& model, int baseline_draws, uint64_t seed) {
  const ModelConfig& c = model.config();
  if (c.n_layers < 2)
    throw Error("composition scores need a model with at least 2 layers (heads of a later layer read what "
                "earlier heads write); this model has 1 layer");
  const int L = c.n_layers, H = c.n_heads, D = c.d_model, E = c.d_head, F = L * H;
  CompositionScores out;
  out.L = L;
  out.H = H;
  out.scores.assign(size_t(3) * F * F, 0.0);
  std::vector<RM> ov(static_cast<size_t>(F)), qk(static_cast<size_t>(F));
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h) {
      const int f = l * H + h;
      ov[size_t(f)] = head_matrix(model, ParamKind::W_V, l, h, D, E) * head_matrix(model, ParamKind::W_O, l, h, E, D);
      qk[size_t(f)] = head_matrix(model, ParamKind::W_Q, l, h, D, E) *
                      head_matrix(model, ParamKind::W_K, l, h, D, E).transpose();
    }
  for (int s = 0; s < F; ++s)
    for (int r = 0; r < F; ++r) {
      if (r / H <= s / H) continue;
      const RM& left = ov[size_t(s)];
      out.scores[(0 * size_t(F) + s) * F + r] = score(left, qk[size_t(r)]);
      out.scores[(1 * size_t(F) + s) * F + r] = score(left, qk[size_t(r)].transpose());
      out.scores[(2 * size_t(F) + s) * F + r] = score(left, ov[size_t(r)]);
    }
  // Baseline: the scale of the Gaussian does not matter (scores are ratios).
  Rng rng(seed, 15);
  auto gauss = [&](int rows, int cols) {
    RM m(rows, cols);
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) m(i, j) = rng.normal();
    return m;
  };
  double sum[3] = {0, 0, 0}, sq[3] = {0, 0, 0};
  for (int n = 0; n < baseline_draws; ++n) {
    const RM left = gauss(D, E) * gauss(E, D);
    const RM q = gauss(D, E) * gauss(D, E).transpose();
    const RM v = gauss(D, E) * gauss(E, D);
    const double x[3] = {score(left, q), score(left, q.transpose()), score(left, v)};
    for (int k = 0; k < 3; ++k) {
      sum[k] += x[k];
      sq[k] += x[k] * x[k];
    }
  }
  out.baseline_draws = baseline_draws;
  for (int k = 0; k < 3 && baseline_draws > 0; ++k) {
    out.baseline_mean[k] = sum[k] / baseline_draws;
    out.baseline_sd[k] =
        baseline_draws > 1 ? std::sqrt(std::max(0.0, (sq[k] - sum[k] * sum[k] / baseline_draws) / (baseline_draws - 1)))
                           : 0.0;
  }
  return out;
}

}  // namespace hc
