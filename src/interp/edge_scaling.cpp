#include "interp/edge_scaling.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/chunked.hpp"
#include "core/error.hpp"
#include "interp/ablation.hpp"
#include "interp/cache.hpp"

namespace hc {

std::string edge_mode_name(EdgeMode m) { return m == EdgeMode::score ? "score" : "weight"; }

EdgeTarget answer_positions_target() {
  return {"positions holding the answer token", [](const Example& ex, int j) {
            return j < ex.query_pos && ex.seq[size_t(j)] == ex.answer;
          }};
}

EdgeTarget token_class_target(const Task& task, const std::vector<int>& tokens) {
  std::string names;
  for (int t : tokens) {
    if (t < 0 || t >= task.vocab_size())
      throw Error("edge target: token id " + std::to_string(t) + " is not in the " + task.name() + " vocabulary");
    names += (names.empty() ? "" : " and ") + task.vocab()[size_t(t)];
  }
  std::vector<bool> in(size_t(task.vocab_size()), false);
  for (int t : tokens) in[size_t(t)] = true;
  return {"tokens " + names, [in](const Example& ex, int j) { return j < ex.query_pos && in[size_t(ex.seq[size_t(j)])]; }};
}

EdgeTarget default_edge_target(const Task& task) {
  const KeyTarget kt = task.key_target();
  EdgeTarget t = kt.kind == KeyTarget::Kind::tokens ? token_class_target(task, kt.tokens) : answer_positions_target();
  t.description = kt.description;
  return t;
}

namespace {

// Applies the edit to one query row [T] of scores or weights, in place.
template <class S>
void edit_row(S* row, const std::vector<bool>& keys, int T, EdgeMode mode, double s) {
  if (mode == EdgeMode::score) {
    for (int j = 0; j < T; ++j)
      if (keys[size_t(j)] && std::isfinite(row[j])) row[j] = S(double(row[j]) * s);
    return;
  }
  // s = 1 is the identity: renormalising a softmax row would only add rounding.
  if (s == 1.0) return;
  S sum = 0;
  for (int j = 0; j < T; ++j) {
    if (keys[size_t(j)]) row[j] = S(double(row[j]) * s);
    sum += row[j];
  }
  if (sum > S(0))
    for (int j = 0; j < T; ++j) row[j] /= sum;
}

std::vector<bool> key_mask(const EdgeTarget& t, const Example& ex, int T) {
  std::vector<bool> k(static_cast<size_t>(T));
  for (int j = 0; j < T; ++j) k[size_t(j)] = t.keys(ex, j);
  return k;
}

}  // namespace

Setter edge_scaling_setter(const Model<float>& model, EdgeTarget target, EdgeMode mode,
                           std::vector<EdgePoint> points) {
  const int L = model.config().n_layers, H = model.config().n_heads;
  for (const auto& p : points)
    if (L * H < 64 && (p.heads >> (L * H)) != 0)
      throw Error("edge scaling: head set {" + set_key(model.config(), p.heads) + "} is out of range: the model has " +
                  std::to_string(L * H) + " heads");
  const Site site = mode == EdgeMode::score ? Site::attn_scores : Site::pattern;
  return [target, mode, points = std::move(points), L, H, site](int point, const Chunk& ch, Hooks<float>& hooks) {
    const EdgePoint p = points[size_t(point)];
    for (int l = 0; l < L; ++l) {
      const uint64_t heads = (p.heads >> (l * H)) & ((1ull << H) - 1);
      if (!heads) continue;
      hooks.add({site, l}, [target, mode, heads, H, s = p.s, ch](HookView<float>& v) {
        const int B = v.shape[0], R = v.shape[2], T = v.shape[3];  // [B,H,R,T]
        for (int b = 0; b < B; ++b) {
          const Example& ex = ch.example(b);
          const std::vector<bool> keys = key_mask(target, ex, T);
          for (int r = 0; r < R; ++r) {
            if (v.query_rows[size_t(b) * R + r] != ex.query_pos) continue;
            for (int h = 0; h < H; ++h)
              if (heads >> h & 1) edit_row(v.data + ((size_t(b) * H + h) * R + r) * T, keys, T, mode, s);
          }
        }
      });
    }
  };
}

namespace {

// Shortcut for one layer: correct counts for every point (singles then pairs,
// each over the grid), per chunk, summed in chunk order.
std::vector<double> shortcut_accuracy(const Model<float>& model, const Dataset& data, const EdgeTarget& target,
                                      EdgeMode mode, const std::vector<double>& grid,
                                      const std::vector<std::pair<int, int>>& pairs, int threads) {
  const ModelConfig& c = model.config();
  const int H = c.n_heads, E = c.d_head, D = c.d_model, V = c.d_vocab, T = c.n_ctx, S = int(grid.size());
  // OVU[h] = W_O[h] W_U  [H,E,V]
  std::vector<double> ovu(size_t(H) * E * V, 0.0);
  const float* WO = model.param(ParamKind::W_O, 0);
  const float* WU = model.param(ParamKind::W_U);
  for (int h = 0; h < H; ++h)
    for (int e = 0; e < E; ++e)
      for (int d = 0; d < D; ++d)
        for (int v = 0; v < V; ++v)
          ovu[(size_t(h) * E + e) * V + v] += double(WO[(size_t(h) * E + e) * D + d]) * double(WU[size_t(d) * V + v]);

  const size_t N = data.examples.size(), step = 256;
  const int n_chunks = int((N + step - 1) / step);
  const size_t n_points = size_t(H + int(pairs.size())) * S;
  std::vector<std::vector<int>> counts(size_t(n_chunks), std::vector<int>(n_points, 0));
  threads = std::max(1, std::min(threads, n_chunks));
  for_each_job(int(n_chunks), threads, [&](int ch) {
    const size_t b0 = size_t(ch) * step, b1 = std::min(N, b0 + step);
    const Activations<float> a = run_at_queries(model, data, b0, b1);
    const LayerActs<float>& la = a.layers[0];
    std::vector<double> dl(size_t(H) * S * V), row(static_cast<size_t>(T)), z1(static_cast<size_t>(E)),
        z(static_cast<size_t>(E)), lg(static_cast<size_t>(V));
    auto z_of = [&](size_t b, int h, double* out) {  // z = softmax-or-weights(row) . v
      std::fill_n(out, E, 0.0);
      for (int j = 0; j < T; ++j) {
        if (row[size_t(j)] == 0.0) continue;
        const float* vj = la.v.data() + ((b * T + j) * H + h) * E;
        for (int e = 0; e < E; ++e) out[e] += row[size_t(j)] * double(vj[e]);
      }
    };
    auto weights = [&](size_t b, int h, const std::vector<bool>& keys, double s) {
      const size_t off = (b * H + h) * size_t(T);  // [B,H,1,T]
      if (mode == EdgeMode::score) {
        for (int j = 0; j < T; ++j) row[size_t(j)] = double(la.scores[off + j]);
        edit_row(row.data(), keys, T, mode, s);
        double m = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int j = 0; j < T; ++j) m = std::max(m, row[size_t(j)]);
        for (int j = 0; j < T; ++j) sum += row[size_t(j)] = std::exp(row[size_t(j)] - m);
        for (int j = 0; j < T; ++j) row[size_t(j)] /= sum;
      } else {
        for (int j = 0; j < T; ++j) row[size_t(j)] = double(la.pattern[off + j]);
        edit_row(row.data(), keys, T, mode, s);
      }
    };
    int* cnt = counts[size_t(ch)].data();
    for (size_t i = b0; i < b1; ++i) {
      const size_t b = i - b0;
      const Example& ex = data.examples[i];
      const std::vector<bool> keys = key_mask(target, ex, T);
      for (int h = 0; h < H; ++h) {
        weights(b, h, keys, 1.0);
        z_of(b, h, z1.data());
        for (int k = 0; k < S; ++k) {
          double* d = &dl[(size_t(h) * S + k) * V];
          std::fill_n(d, V, 0.0);
          if (grid[size_t(k)] == 1.0) continue;  // s = 1 is the unedited row
          weights(b, h, keys, grid[size_t(k)]);
          z_of(b, h, z.data());
          for (int e = 0; e < E; ++e) {
            const double dz = z[size_t(e)] - z1[size_t(e)];
            for (int v = 0; v < V; ++v) d[v] += dz * ovu[(size_t(h) * E + e) * V + v];
          }
        }
      }
      const float* full = a.logits.data() + b * V;
      auto score = [&](const double* d1, const double* d2) {
        for (int v = 0; v < V; ++v) lg[size_t(v)] = double(full[v]) + d1[v] + (d2 ? d2[v] : 0.0);
        return int(std::max_element(lg.begin(), lg.end()) - lg.begin()) == ex.answer;
      };
      for (int h = 0; h < H; ++h)
        for (int k = 0; k < S; ++k) cnt[size_t(h) * S + k] += score(&dl[(size_t(h) * S + k) * V], nullptr);
      for (size_t p = 0; p < pairs.size(); ++p)
        for (int k = 0; k < S; ++k)
          cnt[(size_t(H) + p) * S + k] += score(&dl[(size_t(pairs[p].first) * S + k) * V],
                                                &dl[(size_t(pairs[p].second) * S + k) * V]);
    }
  });
  std::vector<double> acc(n_points, 0.0);
  for (size_t p = 0; p < n_points; ++p) {
    long total = 0;
    for (const auto& cc : counts) total += cc[p];
    acc[p] = double(total) / double(N);
  }
  return acc;
}

// Smallest grid s from which on accuracy >= full; grid sorted ascending.
nlohmann::json recovery(const std::vector<double>& grid, const double* acc, double full) {
  nlohmann::json best = nullptr;
  for (int k = int(grid.size()) - 1; k >= 0; --k) {
    if (acc[k] < full) break;
    best = grid[size_t(k)];
  }
  return best;
}

}  // namespace

EdgeScalingResult edge_scaling(const Model<float>& model, const Dataset& data,
                               const EdgeTarget& target, const EdgeScalingOptions& opt) {
  if (data.examples.empty()) throw Error("edge scaling: the evaluation set '" + data.source + "' holds no examples");
  const ModelConfig& c = model.config();
  const int n = c.n_layers * c.n_heads;
  std::vector<double> grid = opt.grid;
  std::sort(grid.begin(), grid.end());
  for (double s : grid)
    if (!(s >= 0.0 && s <= 1.0)) throw Error("edge scaling: grid value " + std::to_string(s) + " is outside [0, 1]");
  std::vector<int> pool = opt.pair_heads;
  if (pool.empty())
    for (int f = 0; f < n; ++f) pool.push_back(f);
  for (int f : pool)
    if (f < 0 || f >= n)
      throw Error("edge scaling: head " + std::to_string(f) + " is out of range (the model has heads 0.." +
                  std::to_string(n - 1) + ")");
  std::vector<std::pair<int, int>> pairs;
  for (size_t i = 0; i < pool.size(); ++i)
    for (size_t j = i + 1; j < pool.size(); ++j) pairs.push_back({std::min(pool[i], pool[j]), std::max(pool[i], pool[j])});
  const bool shortcut = c.n_layers == 1 && !opt.force_hooked;
  PatchOptions po;
  po.threads = opt.threads;
  const double full = clean_metric(model, data, po);
  const int S = int(grid.size());

  EdgeScalingResult res;
  res.summary = {{"target", target.description}, {"grid", grid}, {"full_accuracy", full},
                 {"method", shortcut ? "linear" : "hooked"}, {"n_examples", data.examples.size()}};
  const std::string dataset = data.source + " (" + std::to_string(data.examples.size()) + " examples)";
  for (EdgeMode mode : opt.modes) {
    const std::string m = edge_mode_name(mode);
    std::vector<double> acc;
    if (shortcut) {
      acc = shortcut_accuracy(model, data, target, mode, grid, pairs, opt.threads);
    } else {
      std::vector<EdgePoint> pts;
      for (int h = 0; h < n; ++h)
        for (double s : grid) pts.push_back({1ull << h, s});
      for (const auto& [a, b] : pairs)
        for (double s : grid) pts.push_back({(1ull << a) | (1ull << b), s});
      acc = patch_sweep(model, data, int(pts.size()), edge_scaling_setter(model, target, mode, pts), po);
    }
    Table curve{"edge_scaling_" + m, "accuracy with the query->target edges of these heads scaled by s (" + m + " mode; " +
                                         target.description + ")", dataset, {"heads", "s", "accuracy"}, {}};
    Table rec{"edge_scaling_" + m + "_recovery", "smallest grid s from which accuracy >= the full model's (" + m + ")",
              dataset, {"heads", "recovery_s", "accuracy_at_0"}, {}};
    nlohmann::json j = {{"recovery", nlohmann::json::object()}, {"pair_recovery", nlohmann::json::object()},
                        {"accuracy", nlohmann::json::object()}, {"pair_accuracy", nlohmann::json::object()}};
    const int n_sets = n + int(pairs.size());
    for (int p = 0; p < n_sets; ++p) {
      const bool single = p < n;
      const std::string key = single ? head_key(c, p)
                                     : head_key(c, pairs[size_t(p - n)].first) + "," + head_key(c, pairs[size_t(p - n)].second);
      const double* a = acc.data() + size_t(p) * S;
      const nlohmann::json r = recovery(grid, a, full);
      j[single ? "recovery" : "pair_recovery"][key] = r;
      j[single ? "accuracy" : "pair_accuracy"][key] = std::vector<double>(a, a + S);
      for (int k = 0; k < S; ++k) curve.add_row({key, grid[size_t(k)], a[k]});
      rec.add_row({key, r, a[0]});
    }
    res.summary[m] = j;
    res.tables.push_back(std::move(curve));
    res.tables.push_back(std::move(rec));
  }
  return res;
}

size_t edge_scaling_hooked_passes(const ModelConfig& c, const EdgeScalingOptions& opt) {
  if (c.n_layers == 1 && !opt.force_hooked) return 0;
  const size_t heads = size_t(c.n_layers) * size_t(c.n_heads);
  const size_t pool = opt.pair_heads.empty() ? heads : opt.pair_heads.size();
  return (heads + pool * (pool - 1) / 2) * opt.grid.size() * opt.modes.size();
}

}  // namespace hc
