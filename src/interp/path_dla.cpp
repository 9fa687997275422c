#include "interp/path_dla.hpp"

#include <algorithm>
#include <limits>

#include "core/chunked.hpp"
#include "core/error.hpp"
#include "interp/cache.hpp"

namespace hc {

double PathDla::sum_of_parts(size_t i) const {
  double s = direct[i] + residual[i];
  for (int h = 0; h < H; ++h) s += head0[i * H + h] + head1[i * H + h];
  for (int k = 0; k < H * H; ++k) s += virtual_v[i * H * H + k];
  return s;
}

std::vector<int> runner_up(const Model<float>& model, const Dataset& data, int threads) {
  const int V = model.config().d_vocab;
  std::vector<int> out(data.examples.size());
  for_each_chunk(data.examples.size(), 256, threads, [&](int, size_t b0, size_t b1) {
    const Activations<float> a = run_at_queries(model, data, b0, b1);
    for (size_t i = b0; i < b1; ++i) {
      const float* z = a.logits.data() + (i - b0) * V;
      int best = -1;
      for (int v = 0; v < V; ++v)
        if (v != data.examples[i].answer && (best < 0 || z[v] > z[best])) best = v;
      out[i] = best;
    }
  });
  return out;
}

PathDla path_dla(const Model<float>& model, const Dataset& data, const std::vector<int>& against, int threads) {
  const ModelConfig& c = model.config();
  if (c.n_layers != 2)
    throw Error("path-level DLA expands the paths of a 2-layer model; this model has " + std::to_string(c.n_layers) +
                " layer(s)");
  if (!against.empty() && against.size() != data.examples.size())
    throw std::logic_error("path_dla: against needs one token per example");
  const int H = c.n_heads, D = c.d_model, E = c.d_head, V = c.d_vocab, T = c.n_ctx;
  const size_t N = data.examples.size();
  PathDla r;
  r.H = H;
  r.total.assign(N, 0);
  r.direct.assign(N, 0);
  r.residual.assign(N, 0);
  r.head0.assign(N * H, 0);
  r.head1.assign(N * H, 0);
  r.virtual_v.assign(N * H * H, 0);
  r.answer.assign(N, 0);
  r.against.assign(N, -1);
  // The same weights in double: the forward and the parts in double, so that
  // the parts add up to the logit to ~1e-12 rather than to the float
  // forward's rounding (logits of a trained model reach the hundreds).
  Model<double> md(c);
  md.params().assign(model.params().begin(), model.params().end());
  const double* WU = md.param(ParamKind::W_U);  // [D,V]
  const double* WV = md.param(ParamKind::W_V, 1);
  const double* WO = md.param(ParamKind::W_O, 1);
  const double* bO0 = c.biases ? md.param(ParamKind::b_O, 0) : nullptr;
  const double* bO1 = c.biases ? md.param(ParamKind::b_O, 1) : nullptr;
  const double* bV1 = c.biases ? md.param(ParamKind::b_V, 1) : nullptr;
  const double* bU = c.biases ? md.param(ParamKind::b_U) : nullptr;

  for_each_chunk(N, 64, threads, [&](int, size_t b0, size_t b1) {
    std::vector<int32_t> tokens, rows;
    for (size_t i = b0; i < b1; ++i) {
      const Example& ex = data.examples[i];
      tokens.insert(tokens.end(), ex.seq.begin(), ex.seq.begin() + T);
      rows.push_back(ex.query_pos);
    }
    Activations<double> a;
    md.run_full(tokens.data(), int(b1 - b0), rows.data(), 1, nullptr, a);
    const LayerActs<double>& l0 = a.layers[0];
    const LayerActs<double>& l1 = a.layers[1];
    std::vector<double> u(static_cast<size_t>(D)), wo_u(static_cast<size_t>(E)), g(size_t(H) * D);  // g_h = W_V^h W_O^h u [H,D]
    for (size_t i = b0; i < b1; ++i) {
      const size_t b = i - b0;
      const Example& ex = data.examples[i];
      const int ans = ex.answer, other = against.empty() ? -1 : against[i];
      const int p = ex.query_pos;
      r.answer[i] = ans;
      r.against[i] = other;
      r.total[i] = double(a.logits[b * V + ans]) - (other >= 0 ? double(a.logits[b * V + other]) : 0.0);
      for (int d = 0; d < D; ++d)
        u[size_t(d)] = double(WU[size_t(d) * V + ans]) - (other >= 0 ? double(WU[size_t(d) * V + other]) : 0.0);
      for (int h = 0; h < H; ++h) {
        for (int e = 0; e < E; ++e) {
          double s = 0;
          for (int d = 0; d < D; ++d) s += double(WO[(size_t(h) * E + e) * D + d]) * u[size_t(d)];
          wo_u[size_t(e)] = s;
        }
        for (int d = 0; d < D; ++d) {
          double s = 0;
          for (int e = 0; e < E; ++e) s += double(WV[(size_t(h) * D + d) * E + e]) * wo_u[size_t(e)];
          g[size_t(h) * D + d] = s;
        }
      }
      auto dot = [&](const double* x, const double* w) {
        double s = 0;
        for (int d = 0; d < D; ++d) s += double(x[d]) * w[d];
        return s;
      };
      auto embed_at = [&](int t, std::vector<double>& out) {  // embed + pos at position t
        const size_t off = (b * T + size_t(t)) * D;
        for (int d = 0; d < D; ++d) out[size_t(d)] = double(a.embed[off + d]) + double(a.pos[off + d]);
      };
      std::vector<double> x(static_cast<size_t>(D));
      embed_at(p, x);
      double direct = 0;
      for (int d = 0; d < D; ++d) direct += x[size_t(d)] * u[size_t(d)];
      r.direct[i] = direct;
      for (int s = 0; s < H; ++s)  // result [B,T,H,D] in layer 0
        r.head0[i * H + s] = dot(l0.result.data() + ((b * T + size_t(p)) * H + s) * D, u.data());
      double res = 0;
      if (c.biases) {
        for (int d = 0; d < D; ++d) res += (double(bO0[d]) + double(bO1[d])) * u[size_t(d)];
        res += double(bU[ans]) - (other >= 0 ? double(bU[other]) : 0.0);
      }
      for (int h = 0; h < H; ++h) {
        const double* gh = g.data() + size_t(h) * D;
        const double* A = l1.pattern.data() + (b * H + size_t(h)) * T;  // [B,H,1,T]: the one query row
        double via_embed = 0;
        for (int j = 0; j <= p; ++j) {
          if (A[j] == 0.0) continue;
          embed_at(j, x);
          double e = 0;
          for (int d = 0; d < D; ++d) e += x[size_t(d)] * gh[d];
          via_embed += double(A[j]) * e;
          for (int s = 0; s < H; ++s)
            r.virtual_v[(i * H + s) * H + h] +=
                double(A[j]) * dot(l0.result.data() + ((b * T + size_t(j)) * H + s) * D, gh);
        }
        r.head1[i * H + h] = via_embed;
        if (c.biases) {  // sum_j A = 1: the bias terms the values carry
          double bias_v = 0;
          for (int d = 0; d < D; ++d) bias_v += double(bO0[d]) * gh[d];
          for (int e = 0; e < E; ++e) {
            double s = 0;
            for (int d = 0; d < D; ++d) s += double(WO[(size_t(h) * E + e) * D + d]) * u[size_t(d)];
            bias_v += double(bV1[size_t(h) * E + e]) * s;
          }
          res += bias_v;
        }
      }
      r.residual[i] = res;
    }
  });
  return r;
}

}  // namespace hc
