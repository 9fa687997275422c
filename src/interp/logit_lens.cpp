#include "interp/logit_lens.hpp"

#include <algorithm>

#include "core/chunked.hpp"
#include "core/error.hpp"
#include "interp/cache.hpp"
#include "interp/patch.hpp"

namespace hc {

LogitLens logit_lens(const Model<float>& model, const Dataset& data, int threads) {
  const ModelConfig& c = model.config();
  if (data.examples.empty())
    throw Error("the evaluation set '" + data.source + "' holds no examples: give a non-empty --eval-set");
  const int L = c.n_layers, D = c.d_model, V = c.d_vocab, T = c.n_ctx, S = L + 1;
  const size_t N = data.examples.size();
  LogitLens r;
  r.n = N;
  r.stages.push_back("embed");
  for (int l = 0; l < L; ++l) r.stages.push_back("layer " + std::to_string(l));
  std::vector<int> class_of(size_t(V), -1);
  for (const auto& ex : data.examples) class_of[size_t(ex.answer)] = 0;
  for (int v = 0; v < V; ++v)
    if (class_of[size_t(v)] == 0) {
      class_of[size_t(v)] = int(r.classes.size());
      r.classes.push_back(v);
    }
  const size_t C = r.classes.size();
  const float* WU = model.param(ParamKind::W_U);
  const float* bU = c.biases ? model.param(ParamKind::b_U) : nullptr;
  const size_t chunk = 256;
  const int n_chunks = chunk_count(N, chunk);
  // Per chunk: [S] correct, [S] margin sum, [S, C] class correct.
  std::vector<std::vector<double>> part(static_cast<size_t>(n_chunks), std::vector<double>(size_t(S) * (2 + C), 0.0));
  for_each_chunk(N, chunk, threads, [&](int ci, size_t b0, size_t b1) {
    const Activations<float> a = run_at_queries(model, data, b0, b1);
    std::vector<double>& acc = part[size_t(ci)];
    std::vector<float> x(static_cast<size_t>(D)), logits(static_cast<size_t>(V));
    for (size_t i = b0; i < b1; ++i) {
      const size_t b = i - b0;
      const Example& ex = data.examples[i];
      for (int s = 0; s < S; ++s) {
        if (s == 0) {
          const size_t off = (b * T + size_t(ex.query_pos)) * D;
          for (int d = 0; d < D; ++d) x[size_t(d)] = a.embed[off + d] + a.pos[off + d];
        } else {
          const LayerActs<float>& la = a.layers[size_t(s - 1)];
          const size_t row = s - 1 == L - 1 ? b : b * T + size_t(ex.query_pos);  // the last layer has the query row only
          std::copy_n(la.resid_post.data() + row * D, D, x.data());
        }
        for (int v = 0; v < V; ++v) {
          float z = bU ? bU[v] : 0.f;
          for (int d = 0; d < D; ++d) z += x[size_t(d)] * WU[size_t(d) * V + v];
          logits[size_t(v)] = z;
        }
        const bool right = metric_value(Metric::accuracy, logits.data(), V, ex.answer) > 0.5;
        acc[size_t(s)] += right;
        acc[size_t(S + s)] += metric_value(Metric::margin, logits.data(), V, ex.answer);
        acc[size_t(2 * S) + size_t(s) * C + size_t(class_of[size_t(ex.answer)])] += right;
      }
    }
  });
  std::vector<double> total(size_t(S) * (2 + C), 0.0);
  for (const auto& p : part)
    for (size_t i = 0; i < total.size(); ++i) total[i] += p[i];
  std::vector<double> class_n(C, 0.0);
  for (const auto& ex : data.examples) class_n[size_t(class_of[size_t(ex.answer)])] += 1;
  for (int s = 0; s < S; ++s) {
    r.accuracy.push_back(total[size_t(s)] / double(N));
    r.margin.push_back(total[size_t(S + s)] / double(N));
    for (size_t k = 0; k < C; ++k) r.class_accuracy.push_back(total[size_t(2 * S) + size_t(s) * C + k] / class_n[k]);
  }
  return r;
}

}  // namespace hc
