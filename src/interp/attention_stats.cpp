#include "interp/attention_stats.hpp"

#include <omp.h>

#include <algorithm>

#include "core/chunked.hpp"
#include "core/error.hpp"
#include "interp/ablation.hpp"
#include "interp/cache.hpp"
#include "interp/value_norms.hpp"

namespace hc {

AttentionStatsResult attention_stats(const Model<float>& model, const Task& task, const Dataset& data,
                                     const EdgeTarget& target, int threads) {
  if (data.examples.empty()) throw Error("attention stats: the evaluation set '" + data.source + "' holds no examples");
  const ModelConfig& mc = model.config();
  const int L = mc.n_layers, H = mc.n_heads, T = mc.n_ctx, n = L * H;
  std::vector<bool> is_number(size_t(task.vocab_size()), false);
  for (int t : number_tokens(task)) is_number[size_t(t)] = true;
  const AttentionClasses cls = task.attention_classes();
  const int K = int(cls.names.size());
  // Per chunk and head: [top hits, top count, mass_target, mass per class].
  const int W = 3 + K;
  const size_t N = data.examples.size(), step = 256;
  const int n_chunks = int((N + step - 1) / step);
  std::vector<std::vector<double>> acc(size_t(n_chunks), std::vector<double>(size_t(n) * W, 0.0));
  threads = std::max(1, std::min(threads, n_chunks));
  for_each_job(int(n_chunks), threads, [&](int ch) {
    const size_t b0 = size_t(ch) * step, b1 = std::min(N, b0 + step);
    const Activations<float> a = run_at_queries(model, data, b0, b1);
    for (size_t i = b0; i < b1; ++i) {
      const Example& ex = data.examples[i];
      const size_t b = i - b0;
      std::vector<bool> is_target(static_cast<size_t>(T));
      for (int j = 0; j < T; ++j) is_target[size_t(j)] = target.keys(ex, j);
      for (int l = 0; l < L; ++l) {
        const LayerActs<float>& la = a.layers[size_t(l)];
        const int R = la.Q, r = l == L - 1 ? 0 : ex.query_pos;  // [B,H,R,T]
        for (int h = 0; h < H; ++h) {
          const float* p = la.pattern.data() + ((b * H + h) * size_t(R) + size_t(r)) * T;
          double* s = acc[size_t(ch)].data() + size_t(l * H + h) * W;
          int top = -1;
          for (int j = 0; j <= ex.query_pos; ++j) {
            const int tok = ex.seq[size_t(j)];
            if (is_target[size_t(j)]) s[2] += p[j];
            const int k = cls.target_class >= 0 && is_target[size_t(j)] ? cls.target_class : cls.token_class[size_t(tok)];
            if (k >= 0) s[3 + k] += p[j];
            if (is_number[size_t(tok)] && (top < 0 || p[j] > p[top])) top = j;
          }
          if (top >= 0) {
            s[0] += is_target[size_t(top)];
            s[1] += 1;
          }
        }
      }
    }
  });
  std::vector<double> tot(size_t(n) * W, 0.0);
  for (const auto& c : acc)
    for (size_t k = 0; k < tot.size(); ++k) tot[k] += c[k];

  AttentionStatsResult res;
  Table t;
  t.name = "attention_stats";
  t.description = "per head, attention of the query row: rate at which the most-attended number is a target key (" +
                  target.description + "), mass on the targets and on each key class";
  t.dataset = data.source + " (" + std::to_string(N) + " examples)";
  t.columns = {"head", "top_is_target", "n_top", "mass_target"};
  for (const auto& nm : cls.names) t.columns.push_back("mass_" + nm);
  nlohmann::json heads = nlohmann::json::object();
  for (int f = 0; f < n; ++f) {
    const double* s = tot.data() + size_t(f) * W;
    const double top_rate = s[1] > 0 ? s[0] / s[1] : 0.0;
    std::vector<nlohmann::json> row = {head_key(mc, f), top_rate, int(s[1]), s[2] / double(N)};
    nlohmann::json mass = nlohmann::json::object();
    for (int k = 0; k < K; ++k) {
      mass[cls.names[size_t(k)]] = s[3 + k] / double(N);
      row.push_back(s[3 + k] / double(N));
    }
    t.add_row(row);
    heads[head_key(mc, f)] = {
        {"top_is_target", top_rate}, {"n_top", int(s[1])}, {"mass_target", s[2] / double(N)}, {"mass", mass}};
  }
  res.summary = {{"target", target.description}, {"classes", cls.names}, {"n_examples", N}, {"heads", heads}};
  res.tables.push_back(std::move(t));
  return res;
}

}  // namespace hc
