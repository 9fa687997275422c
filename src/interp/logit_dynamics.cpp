#include "interp/logit_dynamics.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.hpp"

namespace hc {

namespace {

constexpr int kDynamicsChunk = 256;  // examples per forward: bounds the cache's memory
const std::array<const char*, kLogitTokens> kTokenNames = {"4", "5", "EOS"};
const std::array<const char*, kLogitPositions> kPositionNames = {"eq", "answer"};
// Answer classes: examples answered `4`, `5`, and all of them.
const std::array<const char*, 3> kClassNames = {"4", "5", "all"};

// The tokens whose logits are decomposed: `4`, `5` and EOS (kTokenNames).
std::array<int, kLogitTokens> check_model(const Model<float>& model, const Task& task) {
  const CountingTraits* ct = task.counting();
  if (!ct)
    throw Error("logit dynamics need a Count01 model (positions '=' and the answer); this is " + task.name());
  const ModelConfig& c = model.config();
  if (c.n_layers != 1)
    throw Error("logit dynamics need a one-layer model (the paper's setting); this one has " +
                std::to_string(c.n_layers) + " layers");
  if (c.d_vocab != task.vocab_size())
    throw Error("the model's vocabulary (" + std::to_string(c.d_vocab) + ") does not match Count01's (" +
                std::to_string(task.vocab_size()) + ")");
  return {ct->answer_zero, ct->answer_one, ct->eos};
}

}  // namespace

LogitDecomposition decompose_count01_logits(const Model<float>& model, const Task& task, const Dataset& data) {
  const std::array<int, kLogitTokens> kTokens = check_model(model, task);
  const int query = task.counting()->query;
  if (data.examples.empty())
    throw Error("logit dynamics: the data set '" + data.source + "' is empty (give at least one example)");
  const ModelConfig& c = model.config();
  const int T = c.n_ctx, D = c.d_model, H = c.n_heads, V = c.d_vocab;
  LogitDecomposition out;
  out.N = int(data.examples.size()), out.H = H, out.V = V;
  const int P = out.n_parts();
  out.parts.assign(size_t(out.N) * kLogitPositions * P * kLogitTokens, 0.0);
  out.logits.assign(size_t(out.N) * kLogitPositions * V, 0.f);
  out.answer.assign(size_t(out.N), 0);

  const float* WE = model.param(ParamKind::W_E);                           // [V,D]
  const float* WP = c.pos_embed ? model.param(ParamKind::W_pos) : nullptr;  // [T,D]
  const float* WU = model.param(ParamKind::W_U);                           // [D,V]
  const float* bO = c.biases ? model.param(ParamKind::b_O, 0) : nullptr;    // [D]
  const float* bU = c.biases ? model.param(ParamKind::b_U) : nullptr;       // [V]
  auto dot_u = [&](const float* x, int t) {
    double s = 0;
    for (int d = 0; d < D; ++d) s += double(x[d]) * double(WU[size_t(d) * V + t]);
    return s;
  };
  std::array<double, kLogitTokens> bias_part{};
  for (int k = 0; k < kLogitTokens; ++k)
    bias_part[size_t(k)] = c.biases ? dot_u(bO, kTokens[size_t(k)]) + double(bU[kTokens[size_t(k)]]) : 0.0;

  Activations<float> a;
  std::vector<int32_t> tokens, rows;
  for (int start = 0; start < out.N; start += kDynamicsChunk) {
    const int B = std::min(kDynamicsChunk, out.N - start);
    tokens.assign(size_t(B) * T, 0);
    rows.assign(size_t(B) * kLogitPositions, 0);
    for (int b = 0; b < B; ++b) {
      const Example& ex = data.examples[size_t(start + b)];
      const int q = ex.query_pos;
      if (int(ex.seq.size()) < T || q < 0 || q + 1 >= T || ex.seq[size_t(q)] != query ||
          (ex.answer != kTokens[0] && ex.answer != kTokens[1]) || ex.seq[size_t(q) + 1] != ex.answer)
        throw Error("logit dynamics: example " + std::to_string(start + b + 1) + " of '" + data.source +
                    "' has no '=' followed by the answer 4 or 5 inside the context (check that the data set "
                    "belongs to this Count01 configuration)");
      std::copy_n(ex.seq.begin(), T, tokens.begin() + ptrdiff_t(b) * T);
      rows[size_t(b) * kLogitPositions] = q;
      rows[size_t(b) * kLogitPositions + 1] = q + 1;
      out.answer[size_t(start + b)] = ex.answer;
    }
    model.run_full(tokens.data(), B, rows.data(), kLogitPositions, nullptr, a);
    const auto& L = a.layers[0];  // result [B,Q,H,D]
    for (int b = 0; b < B; ++b) {
      const size_t i = size_t(start + b);
      for (int pos = 0; pos < kLogitPositions; ++pos) {
        const int p = rows[size_t(b) * kLogitPositions + size_t(pos)];
        const size_t bq = size_t(b) * kLogitPositions + size_t(pos);
        std::copy_n(a.logits.data() + bq * V, V, out.logits.data() + (i * kLogitPositions + size_t(pos)) * V);
        double* dst = out.parts.data() + (i * kLogitPositions + size_t(pos)) * P * kLogitTokens;
        for (int k = 0; k < kLogitTokens; ++k) {
          const int t = kTokens[size_t(k)];
          dst[0 * kLogitTokens + k] = dot_u(WE + size_t(tokens[size_t(b) * T + size_t(p)]) * D, t);
          dst[1 * kLogitTokens + k] = WP ? dot_u(WP + size_t(p) * D, t) : 0.0;
          for (int h = 0; h < H; ++h)
            dst[size_t(2 + h) * kLogitTokens + k] = dot_u(L.result.data() + (bq * H + size_t(h)) * D, t);
          dst[size_t(2 + H) * kLogitTokens + k] = bias_part[size_t(k)];
        }
      }
    }
  }
  return out;
}

LogitDynamicsResult logit_dynamics(const Model<float>& model, const Task& task, const Dataset& data) {
  const LogitDecomposition dec = decompose_count01_logits(model, task, data);
  const std::array<int, kLogitTokens> kTokens = check_model(model, task);
  auto class_of = [&](int answer) { return answer == kTokens[1] ? 1 : 0; };
  const ModelConfig& c = model.config();
  const int N = dec.N, H = dec.H, V = dec.V, P = dec.n_parts(), D = c.d_model, E = c.d_head;

  // Sums by position, class (4, 5, all), part and token.
  std::vector<double> sum(size_t(kLogitPositions) * 3 * P * kLogitTokens, 0.0);
  std::vector<double> logit_sum(size_t(kLogitPositions) * 3 * kLogitTokens, 0.0);
  auto at = [&](int pos, int cls, int p, int k) -> double& {
    return sum[((size_t(pos) * 3 + size_t(cls)) * P + size_t(p)) * kLogitTokens + size_t(k)];
  };
  auto lat = [&](int pos, int cls, int k) -> double& {
    return logit_sum[(size_t(pos) * 3 + size_t(cls)) * kLogitTokens + size_t(k)];
  };
  std::array<int, 3> n_class = {0, 0, 0};
  int answer_top = 0, eos_top = 0, both = 0;
  double max_residual = 0;
  // Per head: how often its own contribution is largest for each token, per position.
  std::vector<int> favour_count(size_t(H) * kLogitPositions * kLogitTokens, 0);
  // Signed logit difference toward the correct answer: per head and in total (at `=`).
  std::vector<double> signed_diff(size_t(H), 0.0);
  double signed_total = 0;
  for (int i = 0; i < N; ++i) {
    const int cls = class_of(dec.answer[size_t(i)]);
    ++n_class[size_t(cls)], ++n_class[2];
    const float* lg_eq = dec.logits.data() + size_t(i) * kLogitPositions * V;
    const float* lg_ans = lg_eq + V;
    // argmax over the whole vocabulary, the first index winning ties (as eval does).
    const bool a_top = int(std::max_element(lg_eq, lg_eq + V) - lg_eq) == dec.answer[size_t(i)];
    const bool e_top = int(std::max_element(lg_ans, lg_ans + V) - lg_ans) == kTokens[2];
    answer_top += a_top, eos_top += e_top, both += a_top && e_top;
    for (int pos = 0; pos < kLogitPositions; ++pos) {
      const float* lg = dec.logits.data() + (size_t(i) * kLogitPositions + size_t(pos)) * V;
      for (int k = 0; k < kLogitTokens; ++k) {
        double total = 0;
        for (int p = 0; p < P; ++p) {
          const double v = dec.part(i, pos, p, k);
          total += v;
          at(pos, cls, p, k) += v;
          at(pos, 2, p, k) += v;
        }
        const double l = lg[kTokens[size_t(k)]];
        max_residual = std::max(max_residual, std::abs(total - l));
        lat(pos, cls, k) += l;
        lat(pos, 2, k) += l;
      }
      for (int h = 0; h < H; ++h) {
        int best = 0;
        for (int k = 1; k < kLogitTokens; ++k)
          if (dec.part(i, pos, 2 + h, k) > dec.part(i, pos, 2 + h, best)) best = k;
        ++favour_count[(size_t(h) * kLogitPositions + size_t(pos)) * kLogitTokens + size_t(best)];
      }
    }
    const double sign = cls == 1 ? 1.0 : -1.0;  // toward the correct answer
    for (int h = 0; h < H; ++h) signed_diff[size_t(h)] += sign * (dec.part(i, 0, 2 + h, 1) - dec.part(i, 0, 2 + h, 0));
    signed_total += sign * (double(lg_eq[kTokens[1]]) - double(lg_eq[kTokens[0]]));
  }
  auto mean = [&](double s, int cls) { return n_class[size_t(cls)] ? s / n_class[size_t(cls)] : std::nan(""); };
  auto num = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };

  const std::string dataset = data.source + " (" + std::to_string(N) + " examples)";
  Table t;
  t.name = "logit_dynamics";
  t.description =
      "per part (head index, embed, pos, bias; logit = the model's full logit), position (eq: '=', answer: the "
      "next one), answer class (4, 5, all) and token: mean direct contribution to that token's logit";
  t.dataset = dataset;
  t.columns = {"head", "position", "answer", "token", "contribution"};
  auto part_name = [&](int p) -> nlohmann::json {
    if (p == 0) return "embed";
    if (p == 1) return "pos";
    if (p == P - 1) return "bias";
    return p - 2;
  };
  nlohmann::json mean_logits, parts;
  for (int pos = 0; pos < kLogitPositions; ++pos)
    for (int cls = 0; cls < 3; ++cls) {
      nlohmann::json ml, groups;
      for (int k = 0; k < kLogitTokens; ++k) {
        ml[kTokenNames[size_t(k)]] = num(mean(lat(pos, cls, k), cls));
        double heads = 0;
        for (int h = 0; h < H; ++h) heads += at(pos, cls, 2 + h, k);
        groups["embed"][kTokenNames[size_t(k)]] = num(mean(at(pos, cls, 0, k), cls));
        groups["pos"][kTokenNames[size_t(k)]] = num(mean(at(pos, cls, 1, k), cls));
        groups["heads"][kTokenNames[size_t(k)]] = num(mean(heads, cls));
        groups["bias"][kTokenNames[size_t(k)]] = num(mean(at(pos, cls, P - 1, k), cls));
      }
      mean_logits[kPositionNames[size_t(pos)]][kClassNames[size_t(cls)]] = ml;
      parts[kPositionNames[size_t(pos)]][kClassNames[size_t(cls)]] = groups;
      if (n_class[size_t(cls)] == 0) continue;  // no rows for an absent class
      for (int p = 0; p < P; ++p)
        for (int k = 0; k < kLogitTokens; ++k)
          t.add_row({part_name(p), kPositionNames[size_t(pos)], kClassNames[size_t(cls)], kTokenNames[size_t(k)],
                     mean(at(pos, cls, p, k), cls)});
      for (int k = 0; k < kLogitTokens; ++k)
        t.add_row({"logit", kPositionNames[size_t(pos)], kClassNames[size_t(cls)], kTokenNames[size_t(k)],
                   mean(lat(pos, cls, k), cls)});
    }

  // Output-layer weighting: |W_O[h] W_U[:, t]| per head and token.
  const float* WO = model.param(ParamKind::W_O, 0);  // [H,E,D]
  const float* WU = model.param(ParamKind::W_U);     // [D,V]
  Table th;
  th.name = "logit_dynamics_heads";
  th.description =
      "one row per head: bias toward 4 or 5 (mean r_h.(u_5-u_4) at '=' and at the answer position), share of the "
      "signed logit difference at '=', |W_O[h] W_U[:,t]|, and the token the head alone favours (mean contribution)";
  th.dataset = dataset;
  th.columns = {"head",       "bias_45",      "toward",         "bias_45_answer", "share_of_logit_diff",
                "norm_4",     "norm_5",       "norm_eos",       "favours_eq_4",   "favours_eq_5",
                "favours_answer_4", "favours_answer_5"};
  nlohmann::json heads = nlohmann::json::array();
  int n_toward[2] = {0, 0};
  for (int h = 0; h < H; ++h) {
    const double b45 = (at(0, 2, 2 + h, 1) - at(0, 2, 2 + h, 0)) / N;
    const double b45_ans = (at(1, 2, 2 + h, 1) - at(1, 2, 2 + h, 0)) / N;
    const std::string toward = b45 > 0 ? "5" : b45 < 0 ? "4" : "none";
    if (b45 > 0) ++n_toward[1];
    if (b45 < 0) ++n_toward[0];
    const double share = signed_total != 0 ? signed_diff[size_t(h)] / signed_total : std::nan("");
    nlohmann::json norms;
    std::array<double, kLogitTokens> norm{};
    for (int k = 0; k < kLogitTokens; ++k) {
      double s2 = 0;
      for (int e = 0; e < E; ++e) {
        double v = 0;
        for (int d = 0; d < D; ++d)
          v += double(WO[(size_t(h) * E + size_t(e)) * D + size_t(d)]) * double(WU[size_t(d) * V + kTokens[size_t(k)]]);
        s2 += v * v;
      }
      norm[size_t(k)] = std::sqrt(s2);
      norms[kTokenNames[size_t(k)]] = norm[size_t(k)];
    }
    nlohmann::json favours, rate;
    std::array<std::string, 4> fav_cells;  // eq/4, eq/5, answer/4, answer/5
    for (int pos = 0; pos < kLogitPositions; ++pos) {
      for (int cls = 0; cls < 3; ++cls) {
        if (n_class[size_t(cls)] == 0) {
          favours[kPositionNames[size_t(pos)]][kClassNames[size_t(cls)]] = nullptr;
          if (cls < 2) fav_cells[size_t(pos * 2 + cls)] = "";
          continue;
        }
        int best = 0;
        for (int k = 1; k < kLogitTokens; ++k)
          if (at(pos, cls, 2 + h, k) > at(pos, cls, 2 + h, best)) best = k;
        favours[kPositionNames[size_t(pos)]][kClassNames[size_t(cls)]] = kTokenNames[size_t(best)];
        if (cls < 2) fav_cells[size_t(pos * 2 + cls)] = kTokenNames[size_t(best)];
      }
      for (int k = 0; k < kLogitTokens; ++k)
        rate[kPositionNames[size_t(pos)]][kTokenNames[size_t(k)]] =
            double(favour_count[(size_t(h) * kLogitPositions + size_t(pos)) * kLogitTokens + size_t(k)]) / N;
    }
    heads.push_back({{"head", h},
                     {"bias_45", b45},
                     {"toward", toward},
                     {"bias_45_answer", b45_ans},
                     {"share_of_logit_diff", num(share)},
                     {"wo_wu_norm", norms},
                     {"favours", favours},
                     {"favours_rate", rate}});
    th.add_row({h, b45, toward, b45_ans, num(share), norm[0], norm[1], norm[2], fav_cells[0], fav_cells[1],
                fav_cells[2], fav_cells[3]});
  }

  LogitDynamicsResult r;
  r.summary = {{"dataset", dataset},
               {"n_examples", N},
               {"n_answer_4", n_class[0]},
               {"n_answer_5", n_class[1]},
               {"answer_top_at_eq", double(answer_top) / N},
               {"eos_top_at_answer", double(eos_top) / N},
               {"both", double(both) / N},
               {"mean_logits", mean_logits},
               {"parts", parts},
               {"heads", heads},
               {"n_toward_4", n_toward[0]},
               {"n_toward_5", n_toward[1]},
               {"max_abs_residual", max_residual}};
  r.tables.push_back(std::move(t));
  r.tables.push_back(std::move(th));
  return r;
}

}  // namespace hc
