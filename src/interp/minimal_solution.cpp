#include "interp/minimal_solution.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "train/trainer.hpp"

namespace hc {

namespace {

const CountingTraits& counting_of(const Task& task) {
  const CountingTraits* c = task.counting();
  if (!c) throw Error("the minimal solution is for the Count01 counting language; the task '" + task.name() +
                      "' has no counting traits");
  return *c;
}

// The construction, for either layout. With L = max_len:
//  - value v(t) = e(t): -1 for `0`, +1 for `1`, 0 for `2`, `=` and EOS;
//    e(4) = e(5) = M = 4(L+1).
//  - W_Q = W_K = 0: attention is uniform over the causal window.
//  - W_O = s = L+1, so at `=` (n symbols plus `=` in the window)
//    x = s (n1 - n0) / (n + 1): |x| >= 1 whenever n1 != n0, |x| < s.
//  - at the answer position x = M + s (n1 - n0 + M) / (n + 2) >= M.
//  - logits: l_4 = 0.5 - x, l_5 = x, l_EOS = 2x - 2s, others -1. For
//    x <= -1 `4` wins, for 1 <= x < 2s `5` wins, for x > 2s EOS wins, and at
//    x = 0 (a tie, only with ties_as_4) `4` wins by 0.5.
struct Plan {
  CountingTraits t;
  double s, M;
  float e(int tok) const {
    if (tok == t.zero) return -1.0f;
    if (tok == t.one) return 1.0f;
    if (tok == t.answer_zero || tok == t.answer_one) return float(M);
    return 0.0f;
  }
  float slope(int tok) const {
    return tok == t.answer_zero ? -1.0f : tok == t.answer_one ? 1.0f : tok == t.eos ? 2.0f : 0.0f;
  }
  float intercept(int tok) const {
    return tok == t.answer_zero ? 0.5f : tok == t.answer_one ? 0.0f : tok == t.eos ? float(-2 * s) : -1.0f;
  }
};

Plan plan_for(const Task& task) {
  const CountingTraits& t = counting_of(task);
  const double L = t.max_len;
  return Plan{t, L + 1, 4 * (L + 1)};
}

ModelConfig tiny_config(const Task& task, int D, bool biases) {
  ModelConfig c;
  c.n_layers = 1, c.d_model = D, c.n_heads = 1, c.d_head = 1;
  c.d_vocab = task.vocab_size(), c.n_ctx = task.n_ctx();
  c.pos_embed = false, c.biases = biases;
  return c;
}

}  // namespace

Model<float> build_minimal_solution(const Task& task) {
  const Plan p = plan_for(task);
  Model<float> m(tiny_config(task, 1, true));
  std::fill(m.params().begin(), m.params().end(), 0.0f);  // W_Q, W_K and every other bias stay 0
  const int V = task.vocab_size();
  for (int t = 0; t < V; ++t) {
    m.param(ParamKind::W_E)[t] = p.e(t);
    m.param(ParamKind::W_U)[t] = p.slope(t);
    m.param(ParamKind::b_U)[t] = p.intercept(t);
  }
  m.param(ParamKind::W_V, 0)[0] = 1.0f;
  m.param(ParamKind::W_O, 0)[0] = float(p.s);
  return m;
}

Model<float> build_minimal_solution_no_bias(const Task& task) {
  const Plan p = plan_for(task);
  Model<float> m(tiny_config(task, 2, false));
  std::fill(m.params().begin(), m.params().end(), 0.0f);
  const int V = task.vocab_size();
  // Dimension 1 is the constant 1 that stands in for b_U; attention reads
  // and writes dimension 0 only, so it stays exactly 1.
  float* W_E = m.param(ParamKind::W_E);  // [V,2]
  float* W_U = m.param(ParamKind::W_U);  // [2,V]
  for (int t = 0; t < V; ++t) {
    W_E[t * 2 + 0] = p.e(t), W_E[t * 2 + 1] = 1.0f;
    W_U[0 * V + t] = p.slope(t), W_U[1 * V + t] = p.intercept(t);
  }
  m.param(ParamKind::W_V, 0)[0] = 1.0f;          // W_V [1,2,1]: reads dim 0
  m.param(ParamKind::W_O, 0)[0] = float(p.s);    // W_O [1,1,2]: writes dim 0
  return m;
}

SolutionCheck verify_count01_model(Model<float>& model, const Task& task, int exhaustive_max_len, int64_t n_random,
                                   uint64_t seed, int threads) {
  const CountingTraits& tc = counting_of(task);
  const int T = task.n_ctx(), V = task.vocab_size();
  const int A = tc.noisy ? 3 : 2;  // without noise the alphabet is {0, 1}
  const int32_t symbol[3] = {tc.zero, tc.one, tc.noise};
  SolutionCheck res;
  res.exhaustive_up_to = std::min(exhaustive_max_len, tc.max_len);
  Batch batch;
  std::vector<float> logits;
  auto flush = [&] {
    if (batch.B == 0) return;
    batch.T = T, batch.P = 2;
    model.logits(batch, logits, threads);
    for (int b = 0; b < batch.B; ++b) {
      const float* l0 = logits.data() + size_t(b) * 2 * V;
      const float* l1 = l0 + V;
      // Strict argmax: a tie is never counted as correct.
      auto wins = [&](const float* l, int target) {
        for (int t = 0; t < V; ++t)
          if (t != target && !(l[target] > l[t])) return false;
        return true;
      };
      res.correct_answer += wins(l0, batch.targets[size_t(b) * 2]);
      res.correct_eos += wins(l1, batch.targets[size_t(b) * 2 + 1]);
    }
    res.checked += batch.B;
    batch = Batch{};
  };
  auto add = [&](const std::vector<int32_t>& s) {
    int d = 0;
    std::vector<int32_t> tokens(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      d += (s[i] == 1) - (s[i] == 0);
      tokens[i] = symbol[s[i]];
    }
    if (d == 0 && !tc.ties_allowed) return false;
    const Example ex = tc.make_example(tokens);
    batch.tokens.insert(batch.tokens.end(), ex.seq.begin(), ex.seq.begin() + T);
    batch.rows.push_back(ex.query_pos), batch.rows.push_back(ex.query_pos + 1);
    batch.targets.push_back(ex.seq[size_t(ex.query_pos) + 1]);
    batch.targets.push_back(ex.seq[size_t(ex.query_pos) + 2]);
    if (++batch.B == 4096) flush();
    return true;
  };
  for (int n = tc.min_len; n <= res.exhaustive_up_to; ++n) {
    std::vector<int32_t> s(size_t(n), 0);
    while (true) {
      add(s);
      int i = 0;  // odometer over all A^n strings
      while (i < n && ++s[size_t(i)] == A) s[size_t(i++)] = 0;
      if (i == n) break;
    }
  }
  const int lo = std::max(tc.min_len, res.exhaustive_up_to + 1);
  if (lo <= tc.max_len) {
    Rng rng(seed, 0);
    for (int64_t k = 0; k < n_random;) {
      const int n = lo + int(rng.uniform() * (tc.max_len - lo + 1));
      std::vector<int32_t> s(static_cast<size_t>(n));
      for (auto& x : s) x = int32_t(rng.uniform() * A);
      if (add(s)) ++k, ++res.random;
    }
  }
  flush();
  return res;
}

TinyTrainingResult tiny_training_success(const TaskConfig& task, const TinyTrainingOptions& opt) {
  if (!make_task(task)->counting())
    throw Error("tiny training measures the Count01 counting language; the task '" + task.name +
                "' has no counting traits");
  if (opt.seeds < 1 || opt.steps < 1) throw Error("tiny training needs seeds >= 1 and steps >= 1");
  Table table;
  table.name = "tiny_training";
  table.description = "one row per (d_model, seed): a 1-head, d_head-1 model trained from random initialisation";
  table.dataset = "generated Count01 test split (" + std::to_string(opt.eval_size) + " examples per run)";
  table.columns = {"d_model", "seed", "accuracy", "eos_accuracy", "success"};
  nlohmann::json by_d = nlohmann::json::array();
  // One model per (d_model, seed), trained on one core each; opt.threads
  // models at a time. Every run depends only on its seed, so the table is the
  // same whatever the thread count.
  struct Run { int D, seed; double acc = 0, eos = 0; bool ok = false; };
  std::vector<Run> runs;
  for (int D : opt.d_models)
    for (int seed = 1; seed <= opt.seeds; ++seed) runs.push_back({D, seed});
  parallel_for(int(runs.size()), opt.threads, [&](int i) {
    Run& r = runs[size_t(i)];
    TrainConfig cfg = default_train_config(task.name);  // the task's recipe; shape, steps and eval below
    cfg.task = task;
    auto t = make_task(task);
    cfg.model = tiny_config(*t, r.D, opt.biases);
    cfg.steps = opt.steps;
    cfg.eval_every = opt.steps;
    cfg.eval_size = opt.eval_size;
    cfg.seed = uint64_t(r.seed);
    Model<float> model(cfg.model);
    model.init(uint64_t(r.seed));
    TrainOptions to;
    to.threads = 1;
    to.progress = false;
    to.checkpoint_every = 0;
    const TrainResult tr = train(cfg, to, model);
    r.acc = tr.final_eval.accuracy, r.eos = tr.final_eval.eos_accuracy;
    r.ok = r.acc >= opt.success_accuracy && r.eos >= opt.success_accuracy;
  });
  for (int D : opt.d_models) {
    int n_success = 0;
    for (const Run& r : runs) {
      if (r.D != D) continue;
      n_success += r.ok;
      table.add_row({D, r.seed, r.acc, r.eos, r.ok ? 1 : 0});
    }
    by_d.push_back({{"d_model", D}, {"n", opt.seeds}, {"n_success", n_success},
                    {"rate", double(n_success) / opt.seeds}});
  }
  TinyTrainingResult res;
  res.summary = {{"by_d_model", by_d},       {"steps", opt.steps},        {"biases", opt.biases},
                 {"n_heads", 1},             {"d_head", 1},               {"success_accuracy", opt.success_accuracy},
                 {"eval_size", opt.eval_size}};
  res.tables.push_back(std::move(table));
  return res;
}

}  // namespace hc
