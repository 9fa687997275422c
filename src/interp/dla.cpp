#include "interp/dla.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.hpp"
#include "interp/value_norms.hpp"

namespace hc {

namespace {

constexpr int kDlaChunk = 256;  // examples per forward: bounds the cache's memory

// Names of the parts, in the order of a parts vector.
std::vector<std::string> part_names(const ModelConfig& c) {
  std::vector<std::string> names{"embed"};
  if (c.pos_embed) names.push_back("pos");
  for (int l = 0; l < c.n_layers; ++l)
    for (int h = 0; h < c.n_heads; ++h) names.push_back(head_label(c, l, h));
  if (c.biases) names.push_back("bias");
  return names;
}

struct Sums {
  long n = 0;
  std::vector<double> logit, margin;  // per part
  double total_logit = 0, total_margin = 0;
};

double pct(double part, double total) { return total != 0.0 ? 100.0 * part / total : 0.0; }

}  // namespace

DlaResult dla(const Model<float>& model, const Task& task, const Dataset& data, int position) {
  const ModelConfig& c = model.config();
  const int T = c.n_ctx, D = c.d_model, H = c.n_heads, V = c.d_vocab, L = c.n_layers;
  if (data.examples.empty())
    throw Error("direct logit attribution: the data set '" + data.source +
                "' has no examples (give an eval set with at least one line)");
  if (task.vocab_size() != V)
    throw Error("direct logit attribution: the task '" + task.name() + "' has " +
                std::to_string(task.vocab_size()) + " tokens but the model's vocabulary is " + std::to_string(V) +
                " (pass the task the model was trained on)");
  if (position >= T)
    throw Error("direct logit attribution: position " + std::to_string(position) + " is outside the context (0.." +
                std::to_string(T - 1) + "); pass a position below " + std::to_string(T) +
                " or -1 for the query position");
  const std::vector<std::string> names = part_names(c);
  const size_t P = names.size();
  const float* WE = model.param(ParamKind::W_E);                           // [V,D]
  const float* WP = c.pos_embed ? model.param(ParamKind::W_pos) : nullptr;  // [T,D]
  const float* WU = model.param(ParamKind::W_U);                           // [D,V]
  // The bias part's residual vector: sum of every layer's b_O [D].
  std::vector<double> bias_resid(size_t(D), 0.0);
  if (c.biases)
    for (int l = 0; l < L; ++l) {
      const float* bO = model.param(ParamKind::b_O, l);
      for (int d = 0; d < D; ++d) bias_resid[size_t(d)] += bO[d];
    }
  const float* bU = c.biases ? model.param(ParamKind::b_U) : nullptr;  // [V]

  // x · u_t for a residual-space vector x [D] and token t.
  auto dot_u = [&](const float* x, int t) {
    double s = 0;
    for (int d = 0; d < D; ++d) s += double(x[d]) * WU[size_t(d) * V + t];
    return s;
  };
  auto dot_u_d = [&](const std::vector<double>& x, int t) {
    double s = 0;
    for (int d = 0; d < D; ++d) s += x[size_t(d)] * WU[size_t(d) * V + t];
    return s;
  };

  Sums all;
  all.logit.assign(P, 0.0);
  all.margin.assign(P, 0.0);
  std::map<int, Sums> by_answer;
  double max_residual = 0;
  std::vector<double> pt(P), pr(P);  // parts for the target and the runner-up
  Activations<float> a;
  const size_t N = data.examples.size();
  for (size_t start = 0; start < N; start += kDlaChunk) {
    const int B = int(std::min<size_t>(kDlaChunk, N - start));
    std::vector<int32_t> tokens(size_t(B) * T), rows(static_cast<size_t>(B));  // [B,T], [B,1]
    for (int b = 0; b < B; ++b) {
      const Example& ex = data.examples[start + size_t(b)];
      const int p = position < 0 ? ex.query_pos : position;
      if (p < 0 || p + 1 >= int(ex.seq.size()) || int(ex.seq.size()) < T)
        throw Error("direct logit attribution: example " + std::to_string(start + size_t(b) + 1) + " of '" +
                    data.source + "' has no target at position " + std::to_string(p) +
                    " (check that the data set belongs to this task)");
      std::copy_n(ex.seq.begin(), T, tokens.begin() + ptrdiff_t(b) * T);
      rows[size_t(b)] = p;
    }
    model.run_full(tokens.data(), B, rows.data(), 1, nullptr, a);
    for (int b = 0; b < B; ++b) {
      const Example& ex = data.examples[start + size_t(b)];
      const int p = rows[size_t(b)];
      const int target = ex.seq[size_t(p) + 1];
      const float* logits = a.logits.data() + size_t(b) * V;  // [V] (Q = 1)
      int runner = target == 0 ? 1 : 0;
      for (int v = 0; v < V; ++v)
        if (v != target && logits[v] > logits[runner]) runner = v;
      const size_t tp = size_t(b) * T + size_t(p);  // row of a [B,T,*] buffer
      for (int side = 0; side < 2; ++side) {
        const int t = side == 0 ? target : runner;
        std::vector<double>& out = side == 0 ? pt : pr;
        size_t i = 0;
        out[i++] = dot_u(WE + size_t(ex.seq[size_t(p)]) * D, t);
        if (WP) out[i++] = dot_u(WP + size_t(p) * D, t);
        for (int l = 0; l < L; ++l) {
          // The last layer ran on one query row, the others on all T rows.
          const size_t q = l == L - 1 ? size_t(b) : tp;
          const float* res = a.layers[size_t(l)].result.data() + q * H * D;  // [H,D]
          for (int h = 0; h < H; ++h) out[i++] = dot_u(res + size_t(h) * D, t);
        }
        if (c.biases) out[i++] = dot_u_d(bias_resid, t) + bU[t];
      }
      double sum = 0;
      for (double x : pt) sum += x;
      max_residual = std::max(max_residual, std::abs(sum - double(logits[target])));
      Sums& s = by_answer[target];
      if (s.logit.empty()) {
        s.logit.assign(P, 0.0);
        s.margin.assign(P, 0.0);
      }
      for (Sums* acc : {&all, &s}) {
        acc->n += 1;
        for (size_t i = 0; i < P; ++i) {
          acc->logit[i] += pt[i];
          acc->margin[i] += pt[i] - pr[i];
          acc->total_logit += pt[i];
          acc->total_margin += pt[i] - pr[i];
        }
      }
    }
  }

  const std::string dataset = data.source + " (" + std::to_string(N) + " examples)";
  const double n = double(all.n);
  nlohmann::json shares, margin_shares, mean_parts, mean_margin_parts;
  Table t;
  t.name = "dla";
  t.description = "per part: mean direct contribution to the correct logit and to its margin over the runner-up";
  t.dataset = dataset;
  t.columns = {"part", "mean_logit_part", "logit_share_pct", "mean_margin_part", "margin_share_pct"};
  for (size_t i = 0; i < P; ++i) {
    const double ml = all.logit[i] / n, mm = all.margin[i] / n;
    shares[names[i]] = pct(all.logit[i], all.total_logit);
    margin_shares[names[i]] = pct(all.margin[i], all.total_margin);
    mean_parts[names[i]] = ml;
    mean_margin_parts[names[i]] = mm;
    t.add_row({names[i], ml, shares[names[i]], mm, margin_shares[names[i]]});
  }
  Table ta;
  ta.name = "dla_by_answer";
  ta.description = "per correct token and part: mean direct contribution to the logit and to the margin";
  ta.dataset = dataset;
  ta.columns = {"answer", "n", "part", "mean_logit_part", "mean_margin_part"};
  for (const auto& [tok, s] : by_answer)
    for (size_t i = 0; i < P; ++i)
      ta.add_row({task.vocab()[size_t(tok)], s.n, names[i], s.logit[i] / double(s.n), s.margin[i] / double(s.n)});

  DlaResult r;
  r.summary = {{"n_examples", all.n},
               {"dataset", dataset},
               {"position", position < 0 ? nlohmann::json("query") : nlohmann::json(position)},
               {"mean_logit", all.total_logit / n},
               {"mean_margin", all.total_margin / n},
               {"shares", shares},
               {"margin_shares", margin_shares},
               {"mean_parts", mean_parts},
               {"mean_margin_parts", mean_margin_parts},
               {"max_abs_residual", max_residual}};
  r.tables.push_back(std::move(t));
  r.tables.push_back(std::move(ta));
  return r;
}

}  // namespace hc
