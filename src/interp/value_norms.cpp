#include "interp/value_norms.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace hc {

std::string head_label(const ModelConfig& cfg, int layer, int head) {
  if (cfg.n_layers == 1) return "head" + std::to_string(head);
  return "L" + std::to_string(layer) + "H" + std::to_string(head);
}

namespace {

bool parse_int(const std::string& s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  out = std::stoi(s);
  return true;
}

// Average ranks (1-based), ties share the mean of their ranks.
std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), size_t(0));
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double mean_rank = 0.5 * double(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = mean_rank;
    i = j + 1;
  }
  return r;
}

}  // namespace

std::vector<int> number_tokens(const Task& task) { return task.number_tokens(); }

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return 0.0;
  const std::vector<double> rx = ranks(x), ry = ranks(y);
  const double n = double(x.size());
  const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / n;
  const double my = std::accumulate(ry.begin(), ry.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return 0.0;
  return sxy / std::sqrt(sxx * syy);
}

std::string monotone_direction(const std::vector<double>& y) {
  bool up = true, down = true, flat = true;
  for (size_t i = 1; i < y.size(); ++i) {
    if (y[i] < y[i - 1]) up = false;
    if (y[i] > y[i - 1]) down = false;
    if (y[i] != y[i - 1]) flat = false;
  }
  if (flat) return "constant";
  if (up) return "increasing";
  if (down) return "decreasing";
  return "none";
}

ValueNormsResult value_norms(const Model<float>& model, const Task& task) {
  const ModelConfig& c = model.config();
  const int V = c.d_vocab, D = c.d_model, H = c.n_heads, E = c.d_head;
  if (task.vocab_size() != V)
    throw Error("value norms: the task '" + task.name() + "' has " + std::to_string(task.vocab_size()) +
                " tokens but the model's vocabulary is " + std::to_string(V) +
                " (pass the task the model was trained on)");
  const float* WE = model.param(ParamKind::W_E);  // [V,D]
  const std::vector<int> numbers = number_tokens(task);
  std::vector<double> values;
  for (int t : numbers) {
    int v = 0;
    values.push_back(parse_int(task.vocab()[size_t(t)], v) ? double(v) : double(t));
  }

  Table table;
  table.name = "value_norms";
  table.description = "per layer, head and token t: |W_E[t] W_V[h]| and |W_E[t] W_V[h] W_O[h]| (direct path)";
  table.dataset = "weights only (no data)";
  table.columns = {"layer", "head", "token_id", "token", "value_norm", "ov_norm"};
  nlohmann::json heads = nlohmann::json::object();

  std::vector<double> v(E), o(D);  // v = W_E[t] W_V[h] [E], o = v W_O[h] [D]
  for (int l = 0; l < c.n_layers; ++l) {
    const float* WV = model.param(ParamKind::W_V, l);  // [H,D,E]
    const float* WO = model.param(ParamKind::W_O, l);  // [H,E,D]
    for (int h = 0; h < H; ++h) {
      std::vector<double> vn(V), on(V);
      for (int t = 0; t < V; ++t) {
        std::fill(v.begin(), v.end(), 0.0);
        std::fill(o.begin(), o.end(), 0.0);
        for (int d = 0; d < D; ++d) {
          const double x = WE[size_t(t) * D + d];
          const float* row = WV + (size_t(h) * D + d) * E;
          for (int e = 0; e < E; ++e) v[size_t(e)] += x * row[e];
        }
        for (int e = 0; e < E; ++e) {
          const float* row = WO + (size_t(h) * E + e) * D;
          for (int d = 0; d < D; ++d) o[size_t(d)] += v[size_t(e)] * row[d];
        }
        double s1 = 0, s2 = 0;
        for (double a : v) s1 += a * a;
        for (double a : o) s2 += a * a;
        vn[size_t(t)] = std::sqrt(s1);
        on[size_t(t)] = std::sqrt(s2);
        table.add_row({l, h, t, task.vocab()[size_t(t)], vn[size_t(t)], on[size_t(t)]});
      }
      std::vector<double> vsel, osel;
      for (int t : numbers) {
        vsel.push_back(vn[size_t(t)]);
        osel.push_back(on[size_t(t)]);
      }
      heads[head_label(c, l, h)] = {
          {"v_norm", {{"monotone", monotone_direction(vsel)}, {"spearman", spearman(values, vsel)}}},
          {"ov_norm", {{"monotone", monotone_direction(osel)}, {"spearman", spearman(values, osel)}}}};
    }
  }
  nlohmann::json names = nlohmann::json::array();
  for (int t : numbers) names.push_back(task.vocab()[size_t(t)]);
  ValueNormsResult r;
  r.summary = {{"tokens", names}, {"heads", heads}, {"dataset", table.dataset}};
  r.tables.push_back(std::move(table));
  return r;
}

}  // namespace hc
