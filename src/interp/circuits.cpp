#include "interp/circuits.hpp"

#include <cmath>

#include <Eigen/Dense>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "interp/value_norms.hpp"

namespace hc {

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A row-major float parameter block [rows, cols] as a double matrix.
Mat load_matrix(const float* p, int rows, int cols) {
  return Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(p, rows, cols)
      .cast<double>();
}

Table circuit_table(const std::string& name, const std::string& description, std::vector<std::string> columns) {
  Table t;
  t.name = name;
  t.description = description;
  t.dataset = "weights only (no data)";
  t.columns = std::move(columns);
  return t;
}

// One generated example: the query position and its token are properties of
// the task, and reading them from an example keeps this task-agnostic.
Example sample_example(const Task& task) {
  Rng rng(0);
  try {
    return task.sample(rng, Split::Train);
  } catch (const Error&) {
    return task.sample(rng, Split::Test);  // tiny configs can leave one split empty
  }
}

}  // namespace

int query_token(const Task& task) {
  const Example ex = sample_example(task);
  return ex.seq[size_t(ex.query_pos)];
}

CircuitsResult circuits(const Model<float>& model, const Task& task) {
  const ModelConfig& c = model.config();
  const int V = c.d_vocab, D = c.d_model, H = c.n_heads, E = c.d_head, T = c.n_ctx;
  if (task.vocab_size() != V)
    throw Error("circuits: the task '" + task.name() + "' has " + std::to_string(task.vocab_size()) +
                " tokens but the model's vocabulary is " + std::to_string(V) +
                " (pass the task the model was trained on)");
  const auto& vocab = task.vocab();
  const Example sample = sample_example(task);
  const int qtok = sample.seq[size_t(sample.query_pos)], qpos = sample.query_pos;
  const std::vector<int> numbers = number_tokens(task);
  std::vector<double> order(numbers.size());  // number_tokens is sorted by value, so ranks are indices
  for (size_t i = 0; i < order.size(); ++i) order[i] = double(i);

  const Mat WE = load_matrix(model.param(ParamKind::W_E), V, D);  // [V,D]
  const Mat WU = load_matrix(model.param(ParamKind::W_U), D, V);  // [D,V]
  Mat WP;                                                    // [T,D]
  if (c.pos_embed) WP = load_matrix(model.param(ParamKind::W_pos), T, D);
  const double scale = 1.0 / std::sqrt(double(E));

  Table qk_tok = circuit_table("qk_token", "per head: score from a query token to a key token (with b_Q, b_K), / sqrt(E)",
                            {"layer", "head", "query_token", "key_token", "value"});
  Table qk_pos = circuit_table("qk_position", "per head: positional score from a query position to a key position",
                            {"layer", "head", "query_pos", "key_pos", "value"});
  Table qk_tp = circuit_table("qk_token_position", "per head: cross term, query token (with b_Q) x key position",
                           {"layer", "head", "query_token", "key_pos", "value"});
  Table qk_pt = circuit_table("qk_position_token", "per head: cross term, query position x key token (with b_K)",
                           {"layer", "head", "query_pos", "key_token", "value"});
  Table ov_tok = circuit_table("ov_token", "per head: logits written when attending only to a token, (W_E W_V + b_V) W_O W_U",
                            {"layer", "head", "source_token", "logit_token", "value"});
  Table ov_pos = circuit_table("ov_position", "per head: logits written from the positional part, W_pos W_V W_O W_U",
                            {"layer", "head", "source_pos", "logit_token", "value"});
  nlohmann::json heads = nlohmann::json::object();

  for (int l = 0; l < c.n_layers; ++l) {
    const float* WQ = model.param(ParamKind::W_Q, l);  // [H,D,E]
    const float* WK = model.param(ParamKind::W_K, l);
    const float* WV = model.param(ParamKind::W_V, l);
    const float* WO = model.param(ParamKind::W_O, l);  // [H,E,D]
    for (int h = 0; h < H; ++h) {
      const size_t w = size_t(h) * D * E;
      const Mat wq = load_matrix(WQ + w, D, E), wk = load_matrix(WK + w, D, E), wv = load_matrix(WV + w, D, E);
      const Mat wo = load_matrix(WO + w, E, D);
      Mat qe = WE * wq, ke = WE * wk, ve = WE * wv;  // [V,E]
      if (c.biases) {
        const Eigen::RowVectorXd bq = load_matrix(model.param(ParamKind::b_Q, l) + size_t(h) * E, 1, E);
        const Eigen::RowVectorXd bk = load_matrix(model.param(ParamKind::b_K, l) + size_t(h) * E, 1, E);
        const Eigen::RowVectorXd bv = load_matrix(model.param(ParamKind::b_V, l) + size_t(h) * E, 1, E);
        qe.rowwise() += bq;
        ke.rowwise() += bk;
        ve.rowwise() += bv;
      }
      const Mat qk = scale * qe * ke.transpose();  // [V,V] query token x key token
      const Mat ov = ve * wo * WU;                 // [V,V] source token x logit token
      for (int a = 0; a < V; ++a)
        for (int b = 0; b < V; ++b) {
          qk_tok.add_row({l, h, vocab[size_t(a)], vocab[size_t(b)], qk(a, b)});
          ov_tok.add_row({l, h, vocab[size_t(a)], vocab[size_t(b)], ov(a, b)});
        }
      nlohmann::json pos_row = nlohmann::json::object();
      if (c.pos_embed) {
        const Mat qp = WP * wq, kp = WP * wk;  // [T,E]
        const Mat pp = scale * qp * kp.transpose(), tp = scale * qe * kp.transpose(), ptk = scale * qp * ke.transpose();
        const Mat ovp = WP * wv * wo * WU;  // [T,V]
        for (int i = 0; i < T; ++i)
          for (int j = 0; j <= i; ++j) qk_pos.add_row({l, h, i, j, pp(i, j)});  // causal: keys j <= i only
        for (int a = 0; a < V; ++a)
          for (int j = 0; j < T; ++j) qk_tp.add_row({l, h, vocab[size_t(a)], j, tp(a, j)});
        for (int i = 0; i < T; ++i)
          for (int b = 0; b < V; ++b) qk_pt.add_row({l, h, i, vocab[size_t(b)], ptk(i, b)});
        for (int i = 0; i < T; ++i)
          for (int b = 0; b < V; ++b) ov_pos.add_row({l, h, i, vocab[size_t(b)], ovp(i, b)});
        for (int j = 0; j <= qpos; ++j) pos_row[std::to_string(j)] = pp(qpos, j);
      }

      // Summary: does the OV circuit copy numbers, and does the query token
      // prefer larger numbers?
      int copies = 0;
      nlohmann::json argmax = nlohmann::json::object(), qrow = nlohmann::json::object();
      std::vector<double> scores;
      for (int a : numbers) {
        Eigen::Index best = 0;
        ov.row(a).maxCoeff(&best);
        copies += best == a;
        argmax[vocab[size_t(a)]] = vocab[size_t(best)];
        qrow[vocab[size_t(a)]] = qk(qtok, a);
        scores.push_back(qk(qtok, a));
      }
      nlohmann::json hs = {{"ov_copying", numbers.empty() ? 0.0 : double(copies) / double(numbers.size())},
                           {"ov_argmax", argmax},
                           {"qk_query_row", qrow},
                           {"qk_spearman", spearman(order, scores)},
                           {"qk_monotone", monotone_direction(scores)}};
      if (c.pos_embed) hs["qk_position_query_row"] = pos_row;
      heads[head_label(c, l, h)] = hs;
    }
  }

  nlohmann::json names = nlohmann::json::array();
  for (int t : numbers) names.push_back(vocab[size_t(t)]);
  CircuitsResult r;
  r.summary = {{"query_token", vocab[size_t(qtok)]},
               {"query_pos", qpos},
               {"number_tokens", names},
               {"dataset", "weights only (no data)"},
               {"heads", heads}};
  r.tables.push_back(std::move(qk_tok));
  if (c.pos_embed) {
    r.tables.push_back(std::move(qk_pos));
    r.tables.push_back(std::move(qk_tp));
    r.tables.push_back(std::move(qk_pt));
  }
  r.tables.push_back(std::move(ov_tok));
  if (c.pos_embed) r.tables.push_back(std::move(ov_pos));
  return r;
}

}  // namespace hc
