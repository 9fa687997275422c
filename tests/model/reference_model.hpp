#pragma once
// The naive reference: one example, plain loops, every position, double
// precision, straight from the definitions. The optimised forward is tested
// against it.
#include <cmath>
#include <vector>

#include "model/config.hpp"
#include "model/params.hpp"

namespace hc::testing {

// Returns logits [T, V] for one sequence of T tokens.
inline std::vector<double> reference_logits(const ModelConfig& c, const ParamTable& pt, const double* p,
                                            const int* tokens, std::vector<double>* patterns = nullptr) {
  const int D = c.d_model, H = c.n_heads, E = c.d_head, V = c.d_vocab, T = c.n_ctx;
  auto at = [&](ParamKind k, int l) { return p + pt.get(k, l).offset; };
  std::vector<double> x(size_t(T) * D);
  for (int t = 0; t < T; ++t)
    for (int d = 0; d < D; ++d)
      x[t * D + d] = at(ParamKind::W_E, -1)[tokens[t] * D + d] + (c.pos_embed ? at(ParamKind::W_pos, -1)[t * D + d] : 0);
  if (patterns) patterns->clear();
  for (int l = 0; l < c.n_layers; ++l) {
    std::vector<double> out(size_t(T) * D, 0.0);
    for (int h = 0; h < H; ++h) {
      std::vector<double> q(T * E), k(T * E), v(T * E);
      for (int t = 0; t < T; ++t)
        for (int e = 0; e < E; ++e) {
          double sq = c.biases ? at(ParamKind::b_Q, l)[h * E + e] : 0;
          double sk = c.biases ? at(ParamKind::b_K, l)[h * E + e] : 0;
          double sv = c.biases ? at(ParamKind::b_V, l)[h * E + e] : 0;
          for (int d = 0; d < D; ++d) {
            sq += x[t * D + d] * at(ParamKind::W_Q, l)[(h * D + d) * E + e];
            sk += x[t * D + d] * at(ParamKind::W_K, l)[(h * D + d) * E + e];
            sv += x[t * D + d] * at(ParamKind::W_V, l)[(h * D + d) * E + e];
          }
          q[t * E + e] = sq;
          k[t * E + e] = sk;
          v[t * E + e] = sv;
        }
      for (int i = 0; i < T; ++i) {
        std::vector<double> s(i + 1);
        double m = -1e300, sum = 0;
        for (int j = 0; j <= i; ++j) {
          double acc = 0;
          for (int e = 0; e < E; ++e) acc += q[i * E + e] * k[j * E + e];
          s[j] = acc / std::sqrt(double(E));
          m = std::max(m, s[j]);
        }
        for (int j = 0; j <= i; ++j) sum += (s[j] = std::exp(s[j] - m));
        std::vector<double> pat(T, 0.0);
        for (int j = 0; j <= i; ++j) pat[j] = s[j] / sum;
        if (patterns && l == c.n_layers - 1) patterns->insert(patterns->end(), pat.begin(), pat.end());
        for (int e = 0; e < E; ++e) {
          double z = 0;
          for (int j = 0; j <= i; ++j) z += pat[j] * v[j * E + e];
          for (int d = 0; d < D; ++d) out[i * D + d] += z * at(ParamKind::W_O, l)[(h * E + e) * D + d];
        }
      }
    }
    for (int t = 0; t < T; ++t)
      for (int d = 0; d < D; ++d) x[t * D + d] += out[t * D + d] + (c.biases ? at(ParamKind::b_O, l)[d] : 0);
  }
  std::vector<double> logits(size_t(T) * V);
  for (int t = 0; t < T; ++t)
    for (int v = 0; v < V; ++v) {
      double acc = c.biases ? at(ParamKind::b_U, -1)[v] : 0;
      for (int d = 0; d < D; ++d) acc += x[t * D + d] * at(ParamKind::W_U, -1)[d * V + v];
      logits[t * V + v] = acc;
    }
  return logits;
}

}  // namespace hc::testing
