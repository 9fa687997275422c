#include "interp/w01_intervention.hpp"

#include <cmath>

#include "core/error.hpp"
#include "interp/head_metrics.hpp"

namespace hc {

void set_w01_row(const int32_t* tokens, int eq_pos, double w01, float* row, int T) {
  if (!(w01 > 0) || !std::isfinite(w01)) throw Error("w01 intervention: w01 must be positive and finite");
  int n0 = 0, n1 = 0;
  for (int t = 0; t < eq_pos; ++t) n0 += tokens[t] == 0, n1 += tokens[t] == 1;
  double per0 = 0, per1 = 0;
  if (n0 && n1) {
    per1 = 1.0 / (double(n1) + w01 * double(n0));
    per0 = w01 * per1;
  } else if (n0) {
    per0 = 1.0 / n0;
  } else if (n1) {
    per1 = 1.0 / n1;
  }
  for (int t = 0; t < T; ++t) row[t] = t < eq_pos ? float(tokens[t] == 0 ? per0 : tokens[t] == 1 ? per1 : 0.0) : 0.0f;
  if (!n0 && !n1) row[eq_pos] = 1.0f;
}

std::vector<double> default_w01_grid() {
  std::vector<double> g;
  for (int k = -6; k <= 6; ++k) g.push_back(std::pow(10.0, 0.5 * k));
  return g;
}

W01InterventionResult w01_intervention(const Model<float>& model, const Task& task, const Dataset& train,
                                       const Dataset& test, const W01InterventionOptions& opt) {
  const int H = model.config().n_heads;
  const std::vector<double> grid = opt.grid.empty() ? default_w01_grid() : opt.grid;
  std::vector<int> heads = opt.heads;
  if (heads.empty())
    for (int h = 0; h < H; ++h) heads.push_back(h);
  std::vector<char> selected(size_t(H), 0);
  for (int h : heads) {
    if (h < 0 || h >= H)
      throw Error("w01 intervention: head " + std::to_string(h) + " does not exist (the model has " +
                  std::to_string(H) + " heads, 0.." + std::to_string(H - 1) + ")");
    selected[size_t(h)] = 1;
  }

  // Per head, the probe's accuracy on z from one pair of collections.
  auto s_acc = [&](const EqActivations& tr, const EqActivations& te, int h) {
    const int E = tr.E;
    std::vector<double> ftr(size_t(tr.N) * E), fte(size_t(te.N) * E);
    for (int i = 0; i < tr.N; ++i)
      for (int e = 0; e < E; ++e) ftr[size_t(i) * E + e] = tr.z[(size_t(i) * H + h) * E + e];
    for (int i = 0; i < te.N; ++i)
      for (int e = 0; e < E; ++e) fte[size_t(i) * E + e] = te.z[(size_t(i) * H + h) * E + e];
    return probe_accuracy(ftr, tr.label, fte, te.label, E);
  };

  const EqActivations tr0 = collect_eq_activations(model, task, train);
  const EqActivations te0 = collect_eq_activations(model, task, test);
  nlohmann::json per_head = nlohmann::json::array();
  std::vector<std::vector<double>> acc(heads.size());
  for (size_t j = 0; j < heads.size(); ++j)
    per_head.push_back({{"head", heads[j]}, {"s_acc_unmodified", s_acc(tr0, te0, heads[j])}});

  Table table;
  table.name = "w01_intervention";
  table.description = "one row per (head, w01): s-acc with the head's attention at '=' set to the synthetic 0/1 row";
  table.dataset = "probe fitted on " + train.source + " (" + std::to_string(tr0.N) + " examples), scored on " +
                  test.source + " (" + std::to_string(te0.N) + " examples)";
  table.columns = {"head", "w01", "s_acc"};
  for (double w : grid) {
    const PatternEdit edit = [&](int h, const int32_t* tok, int eq, float* row, int T) {
      if (selected[size_t(h)]) set_w01_row(tok, eq, w, row, T);
    };
    const EqActivations tr = collect_eq_activations(model, task, train, edit);
    const EqActivations te = collect_eq_activations(model, task, test, edit);
    for (size_t j = 0; j < heads.size(); ++j) acc[j].push_back(s_acc(tr, te, heads[j]));
  }
  for (size_t j = 0; j < heads.size(); ++j) {
    per_head[j]["s_acc"] = acc[j];
    for (size_t g = 0; g < grid.size(); ++g) table.add_row({heads[j], grid[g], acc[j][g]});
  }
  W01InterventionResult res;
  res.summary = {{"grid", grid},          {"heads", per_head},        {"n_train", tr0.N},
                 {"n_test", te0.N},       {"dataset", table.dataset}};
  res.tables.push_back(std::move(table));
  return res;
}

}  // namespace hc
