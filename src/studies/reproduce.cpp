#include "studies/reproduce.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "interp/head_metrics.hpp"
#include "interp/logit_dynamics.hpp"
#include "interp/minimal_solution.hpp"
#include "interp/w01_intervention.hpp"
#include "report/report.hpp"
#include "studies/head_study.hpp"
#include "tasks/task.hpp"
#include "train/evaluate.hpp"
#include "train/trainer.hpp"

namespace hc {

ReproducePlan ReproducePlan::quick() { return ReproducePlan{}; }

ReproducePlan ReproducePlan::full() {
  ReproducePlan p;
  p.main_seeds = 30;
  p.isolated_seeds = 30;
  p.grid_seeds = 10;
  p.count01_steps = 3000;  // default_train_config("count01")
  p.snapshots = {10, 20, 40, 80, 160, 500};
  p.probe_train = p.probe_test = 4000;
  p.intervention_models = 3;
  p.mol_target = 0;  // the whole 20,000-step puzzle 1a recipe
  p.bootstrap = 5000;
  return p;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) throw Error("pearson: needs two equally long series of >= 2 values");
  const double n = double(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

std::pair<double, double> bootstrap_pearson_ci(const std::vector<double>& x, const std::vector<double>& y,
                                               int resamples, double level, uint64_t seed) {
  if (resamples < 1) throw Error("bootstrap: needs at least one resample");
  Rng rng(seed, 77);
  std::vector<double> rs, bx(x.size()), by(y.size());
  for (int k = 0; k < resamples; ++k) {
    for (size_t i = 0; i < x.size(); ++i) {
      const uint32_t j = rng.below(uint32_t(x.size()));
      bx[i] = x[j], by[i] = y[j];
    }
    const double r = pearson(bx, by);
    if (std::isfinite(r)) rs.push_back(r);  // a resample of constant values has no r
  }
  if (rs.empty()) return {std::nan(""), std::nan("")};
  std::sort(rs.begin(), rs.end());
  auto q = [&](double p) {
    const double pos = p * double(rs.size() - 1);
    const size_t lo = size_t(std::floor(pos)), hi = std::min(rs.size() - 1, lo + 1);
    return rs[lo] + (rs[hi] - rs[lo]) * (pos - double(lo));
  };
  const double a = (1 - level) / 2;
  return {q(a), q(1 - a)};
}

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Stat {
  double mean = 0, sd = 0;
  int n = 0;
};

Stat stat_of(const std::vector<double>& v) {
  Stat s;
  s.n = int(v.size());
  if (v.empty()) return {std::nan(""), std::nan(""), 0};
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0;
  return s;
}

double quantile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = p * double(v.size() - 1);
  const size_t lo = size_t(std::floor(pos)), hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

std::string fmt(const char* f, double x) {
  char b[64];
  std::snprintf(b, sizeof b, f, x);
  return b;
}
std::string fmt_stat(const Stat& s, const char* f = "%.3f") {
  return fmt(f, s.mean) + " ± " + fmt(f, s.sd) + " (n=" + std::to_string(s.n) + ")";
}
std::string pct(double x) { return fmt("%.1f%%", 100 * x); }

json stat_json(const Stat& s) { return {{"mean", s.mean}, {"sd", s.sd}, {"n", s.n}}; }

// Stage lines on stderr, with the elapsed time.
class Stages {
 public:
  explicit Stages(bool on) : on_(on), t0_(std::chrono::steady_clock::now()) {}
  void say(const std::string& s) {
    if (!on_) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(stderr, "[%6.1f s] %s\n", seconds(), s.c_str());
    std::fflush(stderr);
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point t0_;
  std::mutex mu_;
};

struct ModelSpec {
  std::string group;  // "main", "isolated", "grid"
  int D, H, E;
  int seed;
  std::string label() const {
    return "D" + std::to_string(D) + "-H" + std::to_string(H) + "-E" + std::to_string(E) + "-s" + std::to_string(seed);
  }
};

struct Snapshot {
  int64_t step = 0;
  double accuracy = 0, eos_accuracy = 0, weighted_s_acc = 0;
  std::vector<HeadMetric> heads;
};

struct TrainedModel {
  ModelSpec spec;
  std::vector<Snapshot> snapshots;  // in step order; the last is the final model
  std::optional<Model<float>> final_model;
  nlohmann::json logit_dynamics;  // the final model's logit_dynamics() summary (main models only)
};

TrainConfig count01_config(const ModelSpec& s, int64_t steps) {
  TrainConfig c = default_train_config("count01");
  c.model.d_model = s.D;
  c.model.n_heads = s.H;
  c.model.d_head = s.E;
  c.steps = steps;
  c.eval_every = steps;  // the trainer's own evaluation only at the end; snapshots are scored below
  c.eval_size = 1000;
  c.seed = uint64_t(s.seed);
  return c;
}

json claim(const std::string& id, const std::string& text, const std::string& paper, const std::string& ours,
           const std::string& verdict, const std::string& detail) {
  return {{"id", id}, {"claim", text}, {"paper", paper}, {"ours", ours}, {"reproduced", verdict}, {"detail", detail}};
}

std::string md_escape(std::string s) {
  std::string o;
  for (char c : s) o += c == '|' ? std::string("\\|") : std::string(1, c);
  return o;
}

}  // namespace

ReproduceResult run_reproduce(const ReproduceOptions& opt, const ReproducePlan& plan) {
  if (opt.jobs < 1 || opt.jobs > 1024) throw Error("--jobs must be in [1, 1024] (got " + std::to_string(opt.jobs) + ")");
  ensure_writable_dir(opt.out);
  Stages stages(opt.progress);
  ReproduceResult res;
  json claims = json::array();

  // ---------------------------------------------------------------- Count01 models
  TaskConfig tc;
  tc.name = "count01";
  tc.validate();
  const auto task = make_task(tc);
  const Dataset probe_train = generate(*task, Split::Train, plan.probe_train, 1000, 7);
  const Dataset probe_test = generate(*task, Split::Test, plan.probe_test, 1000, 8);

  std::vector<TrainedModel> models;
  for (int s = 1; s <= plan.main_seeds; ++s) models.push_back({{"main", 32, 16, 2, s}, {}, {}});
  for (int s = 1; s <= plan.isolated_seeds; ++s) models.push_back({{"isolated", 32, 1, 2, s}, {}, {}});
  for (int s = 1; s <= plan.grid_seeds; ++s) {
    models.push_back({{"grid", 16, 8, 2, s}, {}, {}});
    models.push_back({{"grid", 8, 4, 2, s}, {}, {}});
  }
  stages.say("Count01: training " + std::to_string(models.size()) + " models (" + std::to_string(plan.count01_steps) +
             " steps each, " + std::to_string(opt.jobs) + " at a time) and scoring every head at " +
             std::to_string(plan.snapshots.size() + 1) + " checkpoints");
  std::atomic<int> done{0};
  const double models_t0 = stages.seconds();
  parallel_for(int(models.size()), opt.jobs, [&](int i) {
    TrainedModel& tm = models[size_t(i)];
    const TrainConfig cfg = count01_config(tm.spec, plan.count01_steps);
    Model<float> model(cfg.model);
    model.init(cfg.seed);
    TrainOptions to;
    to.threads = 1;
    to.progress = false;
    to.snapshot_steps = plan.snapshots;
    const bool keep = tm.spec.group == "main" && tm.spec.seed <= std::max(1, plan.intervention_models);
    to.on_snapshot = [&](int64_t step, const Model<float>& m) {
      Model<float> copy = m;
      Snapshot s;
      s.step = step;
      const EvalResult e = evaluate(copy, *task, probe_test, 1);
      s.accuracy = e.accuracy, s.eos_accuracy = e.eos_accuracy;
      const HeadMetricsResult hm = head_metrics(copy, *task, probe_train, probe_test);
      s.heads = hm.heads;
      s.weighted_s_acc = hm.weighted_s_acc;
      tm.snapshots.push_back(std::move(s));
      if (tm.spec.group == "main" && step == cfg.steps) tm.logit_dynamics = logit_dynamics(copy, *task, probe_test).summary;
      if (keep && step == cfg.steps) tm.final_model = std::move(copy);
    };
    train(cfg, to, model);
    const int d = ++done;
    if (d % std::max<int>(1, int(models.size()) / 8) == 0 || d == int(models.size())) {
      // ETA of this stage: the mean time per model so far times the models left.
      const double per = (stages.seconds() - models_t0) / d;
      char eta[48];
      std::snprintf(eta, sizeof eta, " (stage ETA %.0f s)", per * double(int(models.size()) - d));
      stages.say("  " + std::to_string(d) + "/" + std::to_string(models.size()) + " models done" +
                 (d < int(models.size()) ? eta : ""));
    }
  });

  // Tables: every head of every snapshot, and one row per snapshot.
  Table heads_t;
  heads_t.name = "heads";
  heads_t.description = "one row per (model, checkpoint step, head): the paper's per-head metrics at `=`";
  heads_t.dataset = probe_train.source + " (probe fit) / " + probe_test.source + " (scored)";
  heads_t.columns = {"model", "group", "d_model", "n_heads", "d_head", "seed", "step", "head",
                     "s_acc", "l_acc", "auc", "w01", "w02", "mean_score", "success", "failure"};
  Table models_t;
  models_t.name = "correlation";
  models_t.description = "one row per (model, checkpoint step): weighted head s-acc and the model's accuracy";
  models_t.dataset = probe_test.source;
  models_t.columns = {"model", "group", "d_model", "n_heads", "d_head", "seed", "step",
                      "weighted_s_acc", "accuracy", "eos_accuracy", "n_successful"};
  auto num = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
  for (const auto& tm : models) {
    const ModelSpec& sp = tm.spec;
    for (const auto& s : tm.snapshots) {
      int n_ok = 0;
      for (const auto& h : s.heads) {
        n_ok += h.success;
        heads_t.add_row({sp.label(), sp.group, sp.D, sp.H, sp.E, sp.seed, s.step, h.head, h.s_acc, h.l_acc, h.auc,
                         num(h.w01), num(h.w02), h.mean_score, h.success ? 1 : 0, h.failure});
      }
      models_t.add_row({sp.label(), sp.group, sp.D, sp.H, sp.E, sp.seed, s.step, s.weighted_s_acc, s.accuracy,
                        s.eos_accuracy, n_ok});
    }
  }

  auto finals = [&](const std::string& group) {
    std::vector<const Snapshot*> v;
    for (const auto& tm : models)
      if (tm.spec.group == group && !tm.snapshots.empty()) v.push_back(&tm.snapshots.back());
    return v;
  };
  const auto main_finals = finals("main");
  const auto iso_finals = finals("isolated");
  {
    std::vector<double> acc;
    for (auto* s : main_finals) acc.push_back(s->accuracy);
    res.summary["count01_main_accuracy"] = stat_json(stat_of(acc));
  }

  // Claim 1: about half the heads of a D32 H16 model fail.
  {
    std::vector<double> frac;
    for (auto* s : main_finals) {
      int failed = 0;
      for (const auto& h : s->heads) failed += !h.success;
      frac.push_back(double(failed) / double(s->heads.size()));
    }
    const Stat st = stat_of(frac);
    const bool ok = st.mean >= 0.3 && st.mean <= 0.7;
    claims.push_back(claim("failed_heads", "About half the heads of a d=32, 16-head model are failed (s-acc < 0.95)",
                           "about half", "fraction failed per model: " + fmt_stat(st),
                           ok ? "yes" : "no",
                           ok ? "the mean fraction of failed heads lies in [0.3, 0.7]"
                              : "the mean fraction of failed heads lies outside [0.3, 0.7], our reading of 'about half'"));
    res.summary["failed_fraction"] = stat_json(st);
  }

  // Claim 2: successful heads have w01 close to 1 and w02 > 10.
  {
    std::vector<double> w01_ok, w01_bad;
    int ok_w02 = 0, n_ok = 0, bad_w02 = 0, n_bad = 0, ok_near = 0, bad_near = 0;
    for (auto* s : main_finals)
      for (const auto& h : s->heads) {
        if (!std::isfinite(h.w01) || !std::isfinite(h.w02)) continue;
        const bool near = std::fabs(std::log10(h.w01)) < std::log10(3.0);
        if (h.success) {
          ++n_ok, w01_ok.push_back(h.w01), ok_w02 += h.w02 > 10, ok_near += near;
        } else {
          ++n_bad, w01_bad.push_back(h.w01), bad_w02 += h.w02 > 10, bad_near += near;
        }
      }
    const double med = quantile(w01_ok, 0.5);
    const double f_w02 = n_ok ? double(ok_w02) / n_ok : std::nan("");
    const bool ok = n_ok > 0 && med >= 0.5 && med <= 2 && f_w02 >= 0.8;
    std::string ours = "successful heads (n=" + std::to_string(n_ok) + "): median w01 " + fmt("%.2f", med) + " [IQR " +
                       fmt("%.2f", quantile(w01_ok, 0.25)) + "-" + fmt("%.2f", quantile(w01_ok, 0.75)) +
                       "], w01 within 3x of 1 in " + pct(n_ok ? double(ok_near) / n_ok : 0) + ", w02 > 10 in " +
                       pct(f_w02) + "; failed heads (n=" + std::to_string(n_bad) + "): w01 within 3x of 1 in " +
                       pct(n_bad ? double(bad_near) / n_bad : 0) + ", w02 > 10 in " +
                       pct(n_bad ? double(bad_w02) / n_bad : 0);
    claims.push_back(claim("w01_w02", "Successful heads have w01 close to 1 and w02 > 10", "w01 ~ 1, w02 > 10", ours,
                           ok ? "yes" : "no",
                           "yes when the successful heads' median w01 is in [0.5, 2] and >= 80% of them have w02 > 10"));
    res.summary["w01_w02"] = {{"successful", {{"n", n_ok}, {"median_w01", med}, {"frac_w02_gt_10", f_w02}}},
                              {"failed", {{"n", n_bad}, {"frac_w02_gt_10", n_bad ? double(bad_w02) / n_bad : 0.0}}}};
  }

  // Claim 3: the w01 intervention (figure 8).
  {
    stages.say("Count01: the w01 intervention (figure 8) on " + std::to_string(plan.intervention_models) +
               " main model(s)");
    Table wt;
    wt.name = "w01_intervention";
    wt.description = "one row per (model, head, w01): s-acc with the head's `=` row replaced by the synthetic w01 pattern";
    wt.dataset = heads_t.dataset;
    wt.columns = {"model", "head", "success", "w01", "s_acc"};
    std::vector<const TrainedModel*> picked;
    for (const auto& tm : models)
      if (tm.final_model) picked.push_back(&tm);
    std::vector<W01InterventionResult> wr(picked.size());
    parallel_for(int(picked.size()), opt.jobs, [&](int i) {
      wr[size_t(i)] = w01_intervention(*picked[size_t(i)]->final_model, *task, probe_train, probe_test);
    });
    std::vector<double> inside, outside;
    for (size_t m = 0; m < picked.size(); ++m) {
      const json& j = wr[m].summary;
      const auto grid = j["grid"].get<std::vector<double>>();
      for (const auto& hj : j["heads"]) {
        const bool success = hj["s_acc_unmodified"].get<double>() >= 0.95;
        const auto sacc = hj["s_acc"].get<std::vector<double>>();
        std::vector<double> in, out;
        for (size_t g = 0; g < grid.size(); ++g) {
          wt.add_row({picked[m]->spec.label(), hj["head"], success ? 1 : 0, grid[g], sacc[g]});
          if (grid[g] > 0.1 * 1.0001 && grid[g] < 10 / 1.0001) in.push_back(sacc[g]);
          if (grid[g] <= 0.01 * 1.0001 || grid[g] >= 100 / 1.0001) out.push_back(sacc[g]);
        }
        if (success) inside.push_back(stat_of(in).mean), outside.push_back(stat_of(out).mean);
      }
    }
    const Stat si = stat_of(inside), so = stat_of(outside);
    const bool ok = si.n > 0 && si.mean >= 0.9 && so.mean <= si.mean - 0.1;
    claims.push_back(claim("w01_intervention",
                           "Intervention: with `2` zeroed, s-acc stays high for 0.1 < w01 < 10 and collapses outside",
                           "high inside (0.1, 10), collapses outside",
                           "successful heads, mean s-acc at 0.1 < w01 < 10: " + fmt_stat(si) +
                               "; at w01 <= 0.01 or >= 100: " + fmt_stat(so),
                           ok ? "yes" : "no",
                           "yes when the inside mean is >= 0.9 and the outside mean at least 0.1 lower"));
    res.summary["w01_intervention"] = {{"inside", stat_json(si)}, {"outside", stat_json(so)}};
    res.tables.push_back(std::move(wt));
  }

  // Claim 4: weighted head s-acc correlates with model accuracy across models.
  {
    std::vector<double> x, y;
    size_t n_models = 0;
    for (const auto& tm : models) {
      n_models += tm.snapshots.empty() ? 0 : 1;
      for (const auto& s : tm.snapshots) x.push_back(s.weighted_s_acc), y.push_back(s.accuracy);
    }
    const double r = pearson(x, y);
    const auto ci = bootstrap_pearson_ci(x, y, plan.bootstrap, 0.95, 1);
    const bool ok = ci.first > 0;
    const bool contains = ci.first <= 0.72 && 0.72 <= ci.second;
    claims.push_back(claim("correlation", "Across models, weighted head s-acc correlates with model accuracy",
                           "Pearson r = 0.72",
                           "r = " + fmt("%.3f", r) + ", 95% bootstrap CI [" + fmt("%.3f", ci.first) + ", " +
                               fmt("%.3f", ci.second) + "], n = " + std::to_string(x.size()) +
                               " (model, checkpoint) points from " + std::to_string(n_models) +
                               " models (seeds x configurations)",
                           ok ? (contains ? "yes" : "yes (direction; r differs)") : "no",
                           std::string("a positive correlation when the interval excludes 0; 0.72 is ") +
                               (contains ? "inside" : "outside") + " our interval"));
    res.summary["correlation"] = {{"n", x.size()}, {"n_models", n_models}, {"r", r}, {"ci_low", ci.first}, {"ci_high", ci.second},
                                  {"level", 0.95}, {"resamples", plan.bootstrap}};
  }

  // Claim 5: isolated vs joint heads (Table 1).
  {
    Table it;
    it.name = "isolated_vs_joint";
    it.description = "one row per head: isolated (1-head D32 E2 models) or joint (heads of D32 H16 E2 models), final step";
    it.dataset = heads_t.dataset;
    it.columns = {"group", "model", "head", "s_acc", "l_acc", "auc", "success"};
    struct G { std::vector<double> s, l, a, ok; };
    std::map<std::string, G> g;
    for (const auto& tm : models) {
      if (tm.snapshots.empty() || (tm.spec.group != "main" && tm.spec.group != "isolated")) continue;
      const std::string name = tm.spec.group == "main" ? "joint" : "isolated";
      for (const auto& h : tm.snapshots.back().heads) {
        it.add_row({name, tm.spec.label(), h.head, h.s_acc, h.l_acc, h.auc, h.success ? 1 : 0});
        G& x = g[name];
        x.s.push_back(h.s_acc), x.l.push_back(h.l_acc), x.a.push_back(h.auc), x.ok.push_back(h.success);
      }
    }
    json tj;
    std::string ours;
    for (const char* name : {"isolated", "joint"}) {
      G& x = g[name];
      tj[name] = {{"s_acc", stat_json(stat_of(x.s))}, {"l_acc", stat_json(stat_of(x.l))},
                  {"auc", stat_json(stat_of(x.a))}, {"frac_successful", stat_of(x.ok).mean}};
      ours += std::string(ours.empty() ? "" : "; ") + name + ": s-acc " + fmt_stat(stat_of(x.s)) + ", l-acc " +
              fmt("%.3f", stat_of(x.l).mean) + ", AUC " + fmt("%.3f", stat_of(x.a).mean) + ", successful " +
              pct(stat_of(x.ok).mean);
    }
    const bool ok = stat_of(g["isolated"].s).mean >= stat_of(g["joint"].s).mean &&
                    stat_of(g["isolated"].ok).mean >= stat_of(g["joint"].ok).mean;
    claims.push_back(claim("isolated_vs_joint", "Heads trained in isolation (1-head models) are slightly better than heads trained jointly",
                           "isolated slightly better (Table 1)", ours, ok ? "yes" : "no",
                           "yes when isolated heads have mean s-acc and success rate at least those of joint heads"));
    res.summary["isolated_vs_joint"] = tj;
    res.tables.push_back(std::move(it));
  }

  // Claim 8 (listed with the heads): failure signatures.
  {
    std::map<std::string, int> sig;
    int n = 0;
    for (auto* s : main_finals)
      for (const auto& h : s->heads) ++sig[h.failure], ++n;
    std::string ours;
    int seen = 0;
    for (const char* k : {"w01 too extreme", "w02 too small", "separable but misaligned", "other", "none"}) {
      ours += std::string(ours.empty() ? "" : ", ") + k + " " + std::to_string(sig[k]);
      if (std::string(k) != "none" && std::string(k) != "other") seen += sig[k] > 0;
    }
    claims.push_back(claim("failure_signatures",
                           "Failure signatures: w01 too extreme, w02 too small, separable but misaligned",
                           "three signatures", ours + " (of " + std::to_string(n) + " heads)",
                           seen == 3 ? "yes" : (seen > 0 ? "partly" : "no"),
                           std::to_string(seen) + " of the 3 signatures occur among the main models' heads"));
    json sj;
    for (auto& [k, v] : sig) sj[k] = v;
    res.summary["failure_signatures"] = sj;
  }

  // Claim 8: logit dynamics. Each head pushes toward `4` or `5`; the output
  // layer weighs the heads so that the answer wins at `=` and EOS wins at the
  // answer position one step later.
  {
    Table lt;
    lt.name = "logit_dynamics_heads";
    lt.description = "one row per (main model, head): its direct push on logit(4) - logit(5) at `=` and its share";
    lt.dataset = probe_test.source;
    lt.columns = {"model", "head", "bias_45", "toward", "bias_45_answer", "share_of_logit_diff"};
    std::vector<double> top_eq, top_eos, max_resid;
    int toward4 = 0, toward5 = 0, n_heads = 0;
    for (const auto& tm : models) {
      if (tm.logit_dynamics.is_null()) continue;
      const json& ld = tm.logit_dynamics;
      top_eq.push_back(ld.at("answer_top_at_eq").get<double>());
      top_eos.push_back(ld.at("eos_top_at_answer").get<double>());
      max_resid.push_back(ld.at("max_abs_residual").get<double>());
      toward4 += ld.at("n_toward_4").get<int>();
      toward5 += ld.at("n_toward_5").get<int>();
      for (const auto& h : ld.at("heads")) {
        ++n_heads;
        lt.add_row({tm.spec.label(), h.at("head"), h.at("bias_45"), h.at("toward"), h.at("bias_45_answer"),
                    h.at("share_of_logit_diff")});
      }
    }
    if (!top_eq.empty()) {
      const Stat se = stat_of(top_eq), sa = stat_of(top_eos);
      const double resid = *std::max_element(max_resid.begin(), max_resid.end());
      const bool ok = se.mean >= 0.99 && sa.mean >= 0.99 && toward4 > 0 && toward5 > 0;
      claims.push_back(claim(
          "logit_dynamics",
          "Heads each lean toward `4` or `5`; the output layer aggregates them non-uniformly: the answer is the top "
          "logit at `=`, EOS the top logit one step later",
          "answer first at `=`, EOS first at the next position",
          "answer top at `=`: " + fmt_stat(se, "%.4f") + " of examples; EOS top at the answer position: " +
              fmt_stat(sa, "%.4f") + "; heads leaning toward 4: " + std::to_string(toward4) + ", toward 5: " +
              std::to_string(toward5) + " (of " + std::to_string(n_heads) +
              "); per-head parts + embed + bias sum to the logits within " + fmt("%.1e", resid),
          ok ? "yes" : "no",
          "yes when the answer is the top logit at `=` and EOS at the answer position in >= 99% of examples (mean "
          "over main models) and heads lean both ways; per-head parts in logit_dynamics_heads.csv and "
          "count01_main/analysis/logit_dynamics.csv"));
      res.summary["logit_dynamics"] = {{"answer_top_at_eq", stat_json(se)}, {"eos_top_at_answer", stat_json(sa)},
                                       {"n_toward_4", toward4}, {"n_toward_5", toward5},
                                       {"max_abs_residual", resid}};
      res.tables.push_back(std::move(lt));
    }
  }

  // Claim 7: the minimal solution, and how often training finds a tiny model.
  {
    stages.say("Count01: the minimal solution (D=1, one head, d_head=1) and " + std::to_string(plan.tiny_seeds) +
               " seeds of tiny training at D = 1, 2, 4");
    Model<float> m1 = build_minimal_solution(*task);
    const SolutionCheck c1 = verify_count01_model(m1, *task, plan.verify_up_to, plan.verify_random, 1, opt.jobs);
    Model<float> m2 = build_minimal_solution_no_bias(*task);
    const SolutionCheck c2 = verify_count01_model(m2, *task, plan.verify_up_to, plan.verify_random, 1, opt.jobs);
    TinyTrainingOptions to;
    to.d_models = {1, 2, 4};
    to.seeds = plan.tiny_seeds;
    to.steps = plan.tiny_steps;
    to.biases = true;  // D = 1 provably needs b_U (docs/COUNT01_METRICS.md)
    to.threads = opt.jobs;
    const TinyTrainingResult tr = tiny_training_success(tc, to);
    const bool built = c1.correct_answer == c1.checked && c1.correct_eos == c1.checked &&
                       c2.correct_answer == c2.checked && c2.correct_eos == c2.checked;
    double rate1 = 0;
    std::string rates;
    for (const auto& b : tr.summary["by_d_model"]) {
      if (b["d_model"] == 1) rate1 = b["rate"].get<double>();
      rates += std::string(rates.empty() ? "" : ", ") + "D=" + std::to_string(b["d_model"].get<int>()) + ": " +
               std::to_string(b["n_success"].get<int>()) + "/" + std::to_string(b["n"].get<int>());
    }
    claims.push_back(claim("minimal_solution",
                           "A minimal solution (d=1, one head, d_head=1) exists, but training from random initialisation rarely finds it",
                           "exists; rarely found",
                           "hand-built D=1 (+ b_U): " + std::to_string(c1.correct_answer) + "/" +
                               std::to_string(c1.checked) + " answers and " + std::to_string(c1.correct_eos) +
                               " EOS correct (every string up to length " + std::to_string(c1.exhaustive_up_to) +
                               " + " + std::to_string(c1.random) + " random longer ones); D=2 without biases: " +
                               std::to_string(c2.correct_answer) + "/" + std::to_string(c2.checked) +
                               "; trained to >= 99% (1 head, d_head 1, " + std::to_string(plan.tiny_steps) +
                               " steps): " + rates,
                           built && rate1 < 0.5 ? "yes" : (built ? "partly" : "no"),
                           "yes when both constructions score 100% and fewer than half the D=1 seeds train to a working model; "
                           "D=1 needs the unembedding bias b_U (proof in docs/COUNT01_METRICS.md)"));
    res.summary["minimal_solution"] = {
        {"d1_with_bU", {{"checked", c1.checked}, {"correct_answer", c1.correct_answer}, {"correct_eos", c1.correct_eos},
                        {"exhaustive_up_to", c1.exhaustive_up_to}, {"random", c1.random}}},
        {"d2_no_bias", {{"checked", c2.checked}, {"correct_answer", c2.correct_answer}, {"correct_eos", c2.correct_eos}}},
        {"tiny_training", tr.summary}};
    for (const auto& t : tr.tables) res.tables.push_back(t);
  }

  res.tables.push_back(std::move(heads_t));
  res.tables.push_back(std::move(models_t));

  // ------------------------------------------------ Head studies (part B)
  {
    // Max-of-List: the puzzle 1a recipe, trained here, then the whole head study.
    stages.say("Max-of-List: training the puzzle 1a model, then the head study");
    TrainConfig cfg = default_train_config("max-of-list");
    cfg.steps = plan.mol_steps;
    if (plan.mol_target > 0) cfg.target_accuracy = plan.mol_target, cfg.eval_every = 250;
    const std::string run_dir = (fs::path(opt.out) / "max_of_list" / "run").string();
    ensure_writable_dir(run_dir);
    Model<float> model(cfg.model);
    model.init(cfg.seed);
    TrainOptions to;
    to.threads = opt.jobs;
    to.progress = false;
    to.out_dir = run_dir;
    const TrainResult tr = train(cfg, to, model);
    const auto mt = make_task(cfg.task);
    const Dataset ds = generate(*mt, Split::Test, 5000, 1, 1);
    HeadStudyOptions ho;
    ho.threads = opt.jobs;
    ho.model_source = run_dir;
    const HeadStudy hs = head_study(model, *mt, ds, ho);
    const std::string adir = (fs::path(opt.out) / "max_of_list" / "analysis").string();
    ensure_writable_dir(adir);
    for (const auto& t : hs.tables) write_csv(t, adir);
    write_file_atomic((fs::path(adir) / "summary.json").string(), hs.summary.dump(2) + "\n");
    write_file_atomic((fs::path(adir) / "summary.txt").string(), hs.text);
    // The same page as `headcount analyze RUN` writes (docs/REPORT.md).
    write_report(adir, model_report_inputs("headcount reproduce: Max-of-List head study", run_dir, model, *mt, ds,
                                           hs.summary, (fs::path(run_dir) / "train_log.csv").string()));
    res.summary["max_of_list"] = {{"run", run_dir}, {"analysis", adir}, {"steps", tr.steps_done},
                                  {"accuracy", hs.summary["accuracy"]}, {"seconds", tr.seconds}};
    res.summary["max_of_list_text"] = hs.text;
  }
  {
    // The same head study on the first main Count01 model (query `=`).
    stages.say("Count01: the head study on the first main model");
    for (auto& tm : models) {
      if (!tm.final_model) continue;
      const std::string adir = (fs::path(opt.out) / "count01_main" / "analysis").string();
      ensure_writable_dir(adir);
      const TrainConfig cfg = count01_config(tm.spec, plan.count01_steps);
      const std::string run_dir = (fs::path(opt.out) / "count01_main" / "run").string();
      ensure_writable_dir(run_dir);
      save_run(run_dir, cfg, *tm.final_model);
      HeadStudyOptions ho;
      ho.threads = opt.jobs;
      ho.model_source = tm.spec.label();
      // The generic analyses plus logit dynamics: head_metrics and the w01
      // intervention, which head_study would also run on a one-layer Count01
      // model, are computed above on probe_train / probe_test already.
      const auto& c01 = count01_analysis_names();
      for (const auto& n : analysis_names())
        if (n == "logit_dynamics" || std::find(c01.begin(), c01.end(), n) == c01.end()) ho.only.push_back(n);
      const HeadStudy hs = head_study(*tm.final_model, *task, probe_test, ho);
      for (const auto& t : hs.tables) write_csv(t, adir);
      write_file_atomic((fs::path(adir) / "summary.json").string(), hs.summary.dump(2) + "\n");
      write_file_atomic((fs::path(adir) / "summary.txt").string(), hs.text);
      write_report(adir, model_report_inputs("headcount reproduce: Count01 head study (" + tm.spec.label() + ")",
                                             tm.spec.label(), *tm.final_model, *task, probe_test, hs.summary, ""));
      res.summary["count01_main"] = {{"model", tm.spec.label()}, {"analysis", adir},
                                     {"accuracy", hs.summary["accuracy"]}};
      break;
    }
  }

  // ------------------------------------------------ Outputs
  res.summary["claims"] = claims;
  res.summary["plan"] = {{"full", opt.full},
                         {"main_seeds", plan.main_seeds},
                         {"isolated_seeds", plan.isolated_seeds},
                         {"grid_seeds", plan.grid_seeds},
                         {"count01_steps", plan.count01_steps},
                         {"snapshots", plan.snapshots},
                         {"probe_train", plan.probe_train},
                         {"probe_test", plan.probe_test},
                         {"tiny_seeds", plan.tiny_seeds},
                         {"tiny_steps", plan.tiny_steps},
                         {"mol_steps", plan.mol_steps},
                         {"mol_target", plan.mol_target},
                         {"jobs", opt.jobs}};
  res.summary["seconds"] = stages.seconds();

  std::ostringstream md;
  md << "# Reproduction of \"Do Attention Heads Compete or Cooperate during Counting?\"\n\n"
     << "Made by `" << (opt.command.empty() ? std::string("headcount reproduce") : opt.command) << "` in "
     << fmt("%.0f", stages.seconds()) << " s (" << (opt.full ? "--full" : "quick default") << ", " << opt.jobs
     << " jobs). Count01 models: " << plan.main_seeds << " x D32 H16 E2 (main), " << plan.isolated_seeds
     << " x D32 H1 E2 (isolated), " << plan.grid_seeds << " x each of D16 H8 E2 and D8 H4 E2, "
     << plan.count01_steps << " steps each; per-head metrics on " << plan.probe_train << " train / "
     << plan.probe_test << " test examples. Main models' held-out accuracy: "
     << fmt_stat(Stat{res.summary["count01_main_accuracy"]["mean"].get<double>(),
                      res.summary["count01_main_accuracy"]["sd"].get<double>(),
                      res.summary["count01_main_accuracy"]["n"].get<int>()},
                 "%.4f")
     << ".\n\n| claim | paper | ours (mean ± sd, n) | reproduced? |\n|---|---|---|---|\n";
  for (const auto& c : claims)
    md << "| " << md_escape(c["claim"]) << " | " << md_escape(c["paper"]) << " | " << md_escape(c["ours"]) << " | "
       << md_escape(c["reproduced"]) << " |\n";
  md << "\nHow each verdict is decided:\n\n";
  for (const auto& c : claims) md << "- **" << c["id"].get<std::string>() << "**: " << c["detail"].get<std::string>() << "\n";
  md << "\n## Max-of-List head study (part B)\n\n```\n" << res.summary["max_of_list_text"].get<std::string>()
     << "```\n\nTables: `max_of_list/analysis/`, `count01_main/analysis/`; Count01 tables here: ";
  for (size_t i = 0; i < res.tables.size(); ++i) md << (i ? ", " : "") << "`" << res.tables[i].name << ".csv`";
  md << ".\n\nFigures: `report.html` (the paper figures; open it in a browser, offline), and each model's "
        "`analysis/report.html`.\n";
  res.markdown = md.str();

  for (const auto& t : res.tables) write_csv(t, opt.out);
  write_file_atomic((fs::path(opt.out) / "summary.json").string(), res.summary.dump(2) + "\n");
  write_file_atomic((fs::path(opt.out) / "REPRODUCTION.md").string(), res.markdown);
  const ReportResult page = write_reproduce_report(opt.out);
  stages.say("wrote " + page.path + " (" + std::to_string(page.sections.size()) + " sections of paper figures)");
  stages.say("wrote " + opt.out + "/REPRODUCTION.md, summary.json and " + std::to_string(res.tables.size()) +
             " tables");
  return res;
}

}  // namespace hc
