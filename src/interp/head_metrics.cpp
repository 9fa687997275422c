#include "interp/head_metrics.hpp"

#include <linear.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>

#include "core/error.hpp"

namespace hc {

namespace {

constexpr int kBatch = 512;
constexpr double kLargeC = 1e4;  // the almost unregularised probe of HeadMetric::s_acc_large_c  // examples per forward call: bounds activation memory

void quiet(const char*) {}

const CountingTraits& check_count01(const Model<float>& model, const Task& task) {
  const CountingTraits* ct = task.counting();
  if (!ct) throw Error("head metrics need a Count01 model (query position '='); this is " + task.name());
  const ModelConfig& c = model.config();
  if (c.n_layers != 1)
    throw Error("head metrics need a one-layer model (the paper's setting); this one has " +
                std::to_string(c.n_layers) + " layers");
  if (c.d_vocab != task.vocab_size())
    throw Error("the model's vocabulary (" + std::to_string(c.d_vocab) + ") does not match Count01's (" +
                std::to_string(task.vocab_size()) + ")");
  return *ct;
}

// Mean attention per token of kind `a` over per token of kind `b` in one row;
// NaN when the string lacks either. A weight that underflowed to 0 counts as
// the smallest positive float so that the ratio stays finite (it is then
// beyond 1e38 either way).
double per_token_ratio(const int32_t* tok, const float* row, int eq, int a, int b) {
  double sa = 0, sb = 0;
  int na = 0, nb = 0;
  for (int t = 0; t < eq; ++t) {
    if (tok[t] == a) sa += row[t], ++na;
    if (tok[t] == b) sb += row[t], ++nb;
  }
  if (na == 0 || nb == 0) return std::numeric_limits<double>::quiet_NaN();
  const double tiny = std::numeric_limits<float>::denorm_min();
  return (std::max(sa, tiny) / na) / (std::max(sb, tiny) / nb);
}

// Geometric mean of the finite entries of column h of [N,H]; NaN if none.
double geo_mean(const std::vector<double>& v, int N, int H, int h) {
  double s = 0;
  int n = 0;
  for (int i = 0; i < N; ++i) {
    const double r = v[size_t(i) * H + h];
    if (std::isnan(r)) continue;
    s += std::log(r), ++n;
  }
  return n ? std::exp(s / n) : std::numeric_limits<double>::quiet_NaN();
}

nlohmann::json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

}  // namespace

EqActivations collect_eq_activations(const Model<float>& model, const Task& task, const Dataset& data,
                                     const PatternEdit& edit) {
  const CountingTraits& ct = check_count01(model, task);
  if (data.examples.empty()) throw Error("head metrics: the data set '" + data.source + "' is empty");
  const ModelConfig& c = model.config();
  const int T = task.n_ctx(), H = c.n_heads, E = c.d_head, D = c.d_model, V = c.d_vocab;
  EqActivations out;
  out.N = int(data.examples.size()), out.H = H, out.E = E;
  out.z.resize(size_t(out.N) * H * E);
  out.score.resize(size_t(out.N) * H);
  out.w01.resize(size_t(out.N) * H);
  out.w02.resize(size_t(out.N) * H);
  out.label.resize(size_t(out.N));
  // d = u_5 - u_4, the direction that decides between the two answers.
  const float* W_U = model.param(ParamKind::W_U);
  std::vector<double> dir(static_cast<size_t>(D));
  for (int d = 0; d < D; ++d)
    dir[size_t(d)] = double(W_U[d * V + ct.answer_one]) - double(W_U[d * V + ct.answer_zero]);

  // The scores from a double-precision copy of the model (no edit: the
  // intervention reads only z), so nearly constant heads do not tie by rounding.
  std::optional<Model<double>> model64;
  if (!edit) {
    model64.emplace(c);
    const auto& p = model.params();
    std::copy(p.begin(), p.end(), model64->params().begin());
  }
  std::vector<int32_t> tokens, rows;
  Activations<float> acts;
  Activations<double> acts64;
  for (int start = 0; start < out.N; start += kBatch) {
    const int B = std::min(kBatch, out.N - start);
    tokens.assign(size_t(B) * T, 0);
    rows.assign(size_t(B), 0);
    for (int b = 0; b < B; ++b) {
      const Example& ex = data.examples[size_t(start + b)];
      if (ex.query_pos < 0 || ex.query_pos >= T || ex.seq[size_t(ex.query_pos)] != ct.query)
        throw Error("head metrics: example " + std::to_string(start + b) + " of '" + data.source +
                    "' has no '=' at its query position");
      std::copy(ex.seq.begin(), ex.seq.begin() + T, tokens.begin() + size_t(b) * T);
      rows[size_t(b)] = ex.query_pos;
      out.label[size_t(start + b)] = ex.answer == ct.answer_one ? 1 : 0;
    }
    Hooks<float> hooks;
    if (edit)
      hooks.add({Site::pattern, 0}, [&](HookView<float>& v) {
        // [B,H,Q=1,T]
        for (int b = 0; b < B; ++b)
          for (int h = 0; h < H; ++h)
            edit(h, tokens.data() + size_t(b) * T, rows[size_t(b)], v.data + (size_t(b) * H + h) * T, T);
      });
    model.run_full(tokens.data(), B, rows.data(), 1, edit ? &hooks : nullptr, acts);
    if (model64) model64->run_full(tokens.data(), B, rows.data(), 1, nullptr, acts64);
    const auto& L = acts.layers[0];
    for (int b = 0; b < B; ++b) {
      const size_t i = size_t(start + b);
      const int32_t* tok = tokens.data() + size_t(b) * T;
      for (int h = 0; h < H; ++h) {
        for (int e = 0; e < E; ++e) out.z[(i * H + h) * E + e] = L.z[(size_t(b) * H + h) * E + e];
        double s = 0;
        if (model64) {
          const double* r = acts64.layers[0].result.data() + (size_t(b) * H + h) * D;
          for (int d = 0; d < D; ++d) s += r[d] * dir[size_t(d)];
        } else {
          const float* r = L.result.data() + (size_t(b) * H + h) * D;
          for (int d = 0; d < D; ++d) s += double(r[d]) * dir[size_t(d)];
        }
        out.score[i * H + h] = s;
        const float* row = L.pattern.data() + (size_t(b) * H + h) * T;
        out.w01[i * H + h] = per_token_ratio(tok, row, rows[size_t(b)], 0, 1);
        out.w02[i * H + h] = per_token_ratio(tok, row, rows[size_t(b)], 0, 2);
      }
    }
  }
  return out;
}

double probe_accuracy(const std::vector<double>& x_train_in, const std::vector<int>& y_train,
                      const std::vector<double>& x_test_in, const std::vector<int>& y_test, int dim, double C,
                      bool standardise) {
  const int n = int(y_train.size());
  if (n == 0 || y_test.empty()) throw Error("probe: empty training or test set");
  if (x_train_in.size() != size_t(n) * dim || x_test_in.size() != y_test.size() * size_t(dim))
    throw Error("probe: feature matrix does not match the labels");
  if (!(C > 0)) throw Error("probe: C must be positive");
  std::vector<double> std_train, std_test;
  if (standardise) {
    // Each feature to mean 0, sd 1 on the training split; a constant feature is only centred.
    std_train = x_train_in, std_test = x_test_in;
    for (int d = 0; d < dim; ++d) {
      double m = 0, ss = 0;
      for (int i = 0; i < n; ++i) m += x_train_in[size_t(i) * dim + d];
      m /= n;
      for (int i = 0; i < n; ++i) ss += (x_train_in[size_t(i) * dim + d] - m) * (x_train_in[size_t(i) * dim + d] - m);
      const double sd = std::sqrt(ss / n), scale = sd > 0 ? 1 / sd : 1;
      for (int i = 0; i < n; ++i) std_train[size_t(i) * dim + d] = (std_train[size_t(i) * dim + d] - m) * scale;
      for (size_t i = 0; i < y_test.size(); ++i) std_test[i * dim + d] = (std_test[i * dim + d] - m) * scale;
    }
  }
  const std::vector<double>& x_train = standardise ? std_train : x_train_in;
  const std::vector<double>& x_test = standardise ? std_test : x_test_in;
  const int n_pos = int(std::count(y_train.begin(), y_train.end(), 1));
  auto accuracy = [&](auto&& predict) {
    int ok = 0;
    for (size_t i = 0; i < y_test.size(); ++i) ok += predict(x_test.data() + i * dim) == y_test[i];
    return double(ok) / double(y_test.size());
  };
  if (n_pos == 0 || n_pos == n) {
    const int only = n_pos ? 1 : 0;
    return accuracy([&](const double*) { return only; });
  }
  // Rows of feature nodes: indices 1..dim, the bias node dim+1 (value 1, as
  // liblinear's own tools and scikit-learn's intercept_scaling=1 append it),
  // then the -1 terminator.
  std::vector<feature_node> nodes(size_t(n) * (dim + 2));
  std::vector<feature_node*> x(static_cast<size_t>(n));
  // scikit-learn encodes sorted classes and makes the second one (here `5`)
  // the positive class; both classes get the same C.
  std::vector<double> y(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    feature_node* f = nodes.data() + size_t(i) * (dim + 2);
    for (int d = 0; d < dim; ++d) f[d] = {d + 1, x_train[size_t(i) * dim + d]};
    f[dim] = {dim + 1, 1.0};
    f[dim + 1] = {-1, 0.0};
    x[size_t(i)] = f;
    y[size_t(i)] = y_train[size_t(i)] == 1 ? 1.0 : -1.0;
  }
  problem prob{};
  prob.l = n;
  prob.n = dim + 1;
  prob.y = y.data();
  prob.x = x.data();
  prob.bias = 1.0;
  parameter param{};
  param.solver_type = L2R_LR;
  param.C = C;
  param.eps = 1e-4;
  // liblinear's print hook is a global: set it once, so concurrent probes
  // (models studied on several threads) do not race on it.
  static std::once_flag quiet_once;
  std::call_once(quiet_once, [] { set_print_string_function(&quiet); });
  if (const char* err = check_parameter(&prob, &param)) throw Error(std::string("liblinear: ") + err);
  ::model* m = ::train(&prob, &param);
  // liblinear orders labels by first appearance and w scores label[0]; turn
  // it into a score for class `5`.
  const double sign = m->label[0] == 1 ? 1.0 : -1.0;
  std::vector<double> w(m->w, m->w + dim + 1);
  free_and_destroy_model(&m);
  return accuracy([&](const double* f) {
    double s = w[size_t(dim)];
    for (int d = 0; d < dim; ++d) s += w[size_t(d)] * f[d];
    return sign * s > 0 ? 1 : 0;  // scikit-learn: decision > 0 is the second class
  });
}

double roc_auc(const std::vector<double>& score, const std::vector<int>& label) {
  if (score.size() != label.size()) throw Error("roc_auc: scores and labels differ in length");
  std::vector<size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), size_t(0));
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  // Rank-sum form of Mann-Whitney: tied scores share their average rank.
  double rank_sum = 0;
  int64_t n_pos = 0;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j < idx.size() && score[idx[j]] == score[idx[i]]) ++j;
    const double avg_rank = 0.5 * double(i + 1 + j);  // ranks i+1 .. j
    for (size_t k = i; k < j; ++k)
      if (label[idx[k]] == 1) rank_sum += avg_rank, ++n_pos;
    i = j;
  }
  const int64_t n_neg = int64_t(score.size()) - n_pos;
  if (n_pos == 0 || n_neg == 0) throw Error("roc_auc: needs both classes, got " + std::to_string(n_pos) +
                                            " positives and " + std::to_string(n_neg) + " negatives");
  return (rank_sum - 0.5 * double(n_pos) * double(n_pos + 1)) / (double(n_pos) * double(n_neg));
}

std::string failure_signature(double s_acc, double l_acc, double w01, double w02, const HeadMetricsOptions& opt) {
  if (s_acc >= opt.success_s_acc) return l_acc < opt.misaligned_l_acc ? "separable but misaligned" : "none";
  // A failed head: the attention ratios say why (the paper's two mechanisms).
  if (std::isfinite(w01) && std::abs(std::log10(w01)) > opt.extreme_log10_w01) return "w01 too extreme";
  if (std::isfinite(w02) && w02 < opt.min_w02) return "w02 too small";
  return "other";
}

HeadMetricsResult head_metrics(const Model<float>& model, const Task& task, const Dataset& train,
                               const Dataset& test, const HeadMetricsOptions& opt) {
  const EqActivations tr = collect_eq_activations(model, task, train);
  const EqActivations te = collect_eq_activations(model, task, test);
  const int H = tr.H, E = tr.E;
  HeadMetricsResult res;
  Table table;
  table.name = "heads";
  table.description = "one row per head: the Count01 paper's metrics at '='";
  table.dataset = "probe fitted on " + train.source + " (" + std::to_string(tr.N) + " examples), scored on " +
                  test.source + " (" + std::to_string(te.N) + " examples)";
  table.columns = {"head", "s_acc", "l_acc", "auc", "w01", "w02", "success", "failure", "mean_score"};
  nlohmann::json heads = nlohmann::json::array();
  double num_w = 0, den_w = 0;
  for (int h = 0; h < H; ++h) {
    std::vector<double> ftr(size_t(tr.N) * E), fte(size_t(te.N) * E), s(size_t(te.N));
    for (int i = 0; i < tr.N; ++i)
      for (int e = 0; e < E; ++e) ftr[size_t(i) * E + e] = tr.z[(size_t(i) * H + h) * E + e];
    for (int i = 0; i < te.N; ++i)
      for (int e = 0; e < E; ++e) fte[size_t(i) * E + e] = te.z[(size_t(i) * H + h) * E + e];
    HeadMetric m;
    m.head = h;
    m.s_acc = probe_accuracy(ftr, tr.label, fte, te.label, E);
    m.s_acc_std = probe_accuracy(ftr, tr.label, fte, te.label, E, 1.0, true);
    m.s_acc_large_c = probe_accuracy(ftr, tr.label, fte, te.label, E, kLargeC);
    int ok = 0;
    for (int i = 0; i < te.N; ++i) {
      s[size_t(i)] = te.score[size_t(i) * H + h];
      // A score of exactly 0 predicts `4`: the rule is "5 iff > 0".
      ok += (s[size_t(i)] > 0 ? 1 : 0) == te.label[size_t(i)];
      m.mean_score += s[size_t(i)];
    }
    m.mean_score /= te.N;
    m.l_acc = double(ok) / te.N;
    m.auc = roc_auc(s, te.label);
    m.w01 = geo_mean(te.w01, te.N, H, h);
    m.w02 = geo_mean(te.w02, te.N, H, h);
    m.success = m.s_acc >= opt.success_s_acc;
    m.failure = failure_signature(m.s_acc, m.l_acc, m.w01, m.w02, opt);
    num_w += std::abs(m.mean_score) * m.s_acc;
    den_w += std::abs(m.mean_score);
    heads.push_back({{"head", h}, {"s_acc", m.s_acc}, {"l_acc", m.l_acc}, {"auc", m.auc}, {"w01", finite_or_null(m.w01)},
                     {"w02", finite_or_null(m.w02)}, {"mean_score", m.mean_score}, {"success", m.success},
                     {"failure", m.failure}});
    table.add_row({h, m.s_acc, m.l_acc, m.auc, finite_or_null(m.w01), finite_or_null(m.w02), m.success ? 1 : 0, m.failure, m.mean_score});
    res.heads.push_back(m);
  }
  // With every a_h = 0 (a model that writes nothing) the weights are
  // undefined; fall back to the plain mean.
  if (den_w > 0) {
    res.weighted_s_acc = num_w / den_w;
  } else {
    for (const auto& m : res.heads) res.weighted_s_acc += m.s_acc / H;
  }
  int n_success = 0;
  for (const auto& m : res.heads) n_success += m.success;
  res.summary = {{"heads", heads},
                 {"weighted_s_acc", res.weighted_s_acc},
                 {"n_successful", n_success},
                 {"n_train", tr.N},
                 {"n_test", te.N},
                 {"dataset", table.dataset},
                 {"thresholds",
                  {{"success_s_acc", opt.success_s_acc},
                   {"extreme_log10_w01", opt.extreme_log10_w01},
                   {"min_w02", opt.min_w02},
                   {"misaligned_l_acc", opt.misaligned_l_acc}}}};
  res.tables.push_back(std::move(table));
  return res;
}

}  // namespace hc
