#include "studies/reproduce_train.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "interp/logit_dynamics.hpp"
#include "studies/reproduce_stats.hpp"
#include "studies/reproduce_conditions.hpp"
#include "train/batch.hpp"
#include "train/evaluate.hpp"

namespace hc::repro {

using json = nlohmann::json;

void Stages::say(const std::string& s) {
  if (!on_) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(stderr, "[%6.1f s] %s\n", seconds(), s.c_str());
  std::fflush(stderr);
}
double Stages::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

std::string ModelSpec::label() const {
  std::string l = "D" + std::to_string(D) + "-H" + std::to_string(H) + "-E" + std::to_string(E);
  if (!cell.empty()) l += "-" + cell;
  else if (steps > 0) l += "-t" + std::to_string(steps);
  return l + "-s" + std::to_string(seed);
}

std::vector<const Snapshot*> Count01Study::finals(const std::string& group) const {
  std::vector<const Snapshot*> v;
  for (const auto& tm : models)
    if (tm.spec.group == group && !tm.snapshots.empty()) v.push_back(&tm.snapshots.back());
  return v;
}

std::string Count01Study::probe_source() const {
  return probe_train.source + " (probe fit) / " + probe_test.source + " (scored)";
}

TrainConfig count01_config(const ModelSpec& s, int64_t steps) {
  TrainConfig c = default_train_config("count01");
  c.model.d_model = s.D;
  c.model.n_heads = s.H;
  c.model.d_head = s.E;
  c.steps = s.steps > 0 ? s.steps : steps;
  c.eval_every = c.steps;  // the trainer's own evaluation only at the end; snapshots are scored below
  c.eval_size = 1000;
  c.seed = uint64_t(s.seed);
  if (s.init_std > 0) c.model.init_std = s.init_std;
  if (s.weight_decay >= 0) c.opt.weight_decay = s.weight_decay;
  if (s.noise >= 0) c.task.noise = s.noise;
  c.train_size = s.train_size;
  if (s.target > 0) c.target_accuracy = s.target, c.eval_every = 25;
  return c;
}

double accuracy_45(Model<float>& model, const Task& task, const Dataset& data) {
  const CountingTraits* ct = task.counting();
  if (!ct) throw Error("accuracy over {4, 5}: needs a Count01 task, got " + task.name());
  const Batch b = make_batch(task, data.examples);
  std::vector<float> logits;
  model.logits(b, logits, 1);
  const int V = model.config().d_vocab;
  int ok = 0;
  for (int i = 0; i < b.B; ++i) {
    const float* z = logits.data() + size_t(i) * size_t(b.P) * size_t(V);  // the answer position comes first
    const int pred = z[ct->answer_one] > z[ct->answer_zero] ? ct->answer_one : ct->answer_zero;
    ok += pred == b.targets[size_t(i) * size_t(b.P)];
  }
  return double(ok) / double(b.B);
}

std::vector<ModelSpec> count01_model_plan(const ReproducePlan& plan) {
  std::vector<ModelSpec> v;
  auto add = [&](std::string g, int D, int H, int E, int seed) {
    ModelSpec m{std::move(g), D, H, E, seed};
    m.checkpoints = true;
    m.init_std = plan.init_std;
    v.push_back(m);
  };
  for (int s = 1; s <= plan.main_seeds; ++s) add("main", 32, 16, 2, s);
  for (int s = 1; s <= plan.isolated_seeds; ++s) add("isolated", 32, 1, 2, s);
  for (int s = 1; s <= plan.grid_seeds; ++s) {
    add("grid", 16, 8, 2, s);
    add("grid", 8, 4, 2, s);
  }
  // Quality models: sizes and training lengths cycle so that accuracy
  // varies across independent final models; seeds from 101.
  static const int kSizes[3][2] = {{32, 16}, {16, 8}, {8, 4}};
  for (int i = 0; i < plan.quality_models; ++i) {
    ModelSpec m{"quality", kSizes[i % 3][0], kSizes[i % 3][1], 2, 101 + i};
    m.steps = plan.quality_steps[size_t(i / 3) % plan.quality_steps.size()];
    m.init_std = plan.init_std;
    v.push_back(m);
  }
  for (const ModelSpec& m : condition_models(plan)) v.push_back(m);
  return v;
}

Count01Study train_count01_models(const ReproduceOptions& opt, const ReproducePlan& plan, Stages& stages) {
  Count01Study st;
  st.task_config.name = "count01";
  st.task_config.validate();
  st.task = make_task(st.task_config);
  const Task& task = *st.task;
  st.probe_train = generate(task, Split::Train, plan.probe_train, 1000, 7);
  st.probe_test = generate(task, Split::Test, plan.probe_test, 1000, 8);
  for (const ModelSpec& s : count01_model_plan(plan)) {
    st.models.push_back({s, {}, {}});
    const bool known = s.noise < 0 || std::any_of(st.other_noise.begin(), st.other_noise.end(),
                                                   [&](const auto& p) { return p->noise == s.noise; });
    if (known) continue;
    auto p = std::make_unique<ProbeSets>();
    p->noise = s.noise;
    TaskConfig tc = st.task_config;
    tc.noise = s.noise;
    tc.validate();
    p->task = make_task(tc);
    p->train = generate(*p->task, Split::Train, plan.probe_train, 1000, 7);
    p->test = generate(*p->task, Split::Test, plan.probe_test, 1000, 8);
    st.other_noise.push_back(std::move(p));
  }
  std::vector<TrainedModel>& models = st.models;

  stages.say("Count01: training " + std::to_string(models.size()) + " models (" + std::to_string(plan.count01_steps) +
             " steps each, " + std::to_string(opt.jobs) + " at a time) and scoring every head at " +
             std::to_string(plan.snapshots.size() + 1) + " checkpoints");
  std::atomic<int> done{0};
  const double models_t0 = stages.seconds();
  parallel_for(int(models.size()), opt.jobs, [&](int i) {
    TrainedModel& tm = models[size_t(i)];
    const TrainConfig cfg = count01_config(tm.spec, plan.count01_steps);
    const Task* task_p = &task;
    const Dataset *ptrain = &st.probe_train, *ptest = &st.probe_test;
    for (const auto& p : st.other_noise)
      if (p->noise == tm.spec.noise) task_p = p->task.get(), ptrain = &p->train, ptest = &p->test;
    Model<float> model(cfg.model);
    model.init(cfg.seed);
    TrainOptions to;
    to.threads = 1;
    to.progress = false;
    if (tm.spec.checkpoints) to.snapshot_steps = plan.snapshots;
    const bool keep = tm.spec.group == "main" && tm.spec.seed <= std::max(1, plan.intervention_models);
    auto score = [&](int64_t step, const Model<float>& m) {
      Model<float> copy = m;
      Snapshot s;
      s.step = step;
      const EvalResult e = evaluate(copy, *task_p, *ptest, 1);
      s.accuracy = e.accuracy, s.eos_accuracy = e.eos_accuracy;
      s.accuracy_45 = accuracy_45(copy, *task_p, *ptest);
      const HeadMetricsResult hm = head_metrics(copy, *task_p, *ptrain, *ptest);
      s.heads = hm.heads;
      s.weighted_s_acc = hm.weighted_s_acc;
      tm.snapshots.push_back(std::move(s));
      if (tm.spec.group == "main" && step == cfg.steps)
        tm.logit_dynamics = logit_dynamics(copy, task, st.probe_test).summary;
      if (keep && step == cfg.steps) tm.final_model = std::move(copy);
    };
    // Checkpoint models are scored during training; the others (which may
    // stop early at a target accuracy) once, at the end.
    if (tm.spec.checkpoints) to.on_snapshot = score;
    const TrainResult tr = train(cfg, to, model);
    if (!tm.spec.checkpoints) score(tr.steps_done, model);
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
  return st;
}

std::vector<Table> checkpoint_tables(const Count01Study& study) {
  Table heads_t;
  heads_t.name = "heads";
  heads_t.description = "one row per (model, checkpoint step, head): the paper's per-head metrics at `=`";
  heads_t.dataset = study.probe_source();
  heads_t.columns = {"model", "group", "d_model", "n_heads", "d_head", "seed", "step", "head",
                     "s_acc", "l_acc", "auc", "w01", "w02", "mean_score", "success", "failure", "s_acc_std",
                     "s_acc_large_c", "cell"};
  Table models_t;
  models_t.name = "correlation";
  models_t.description = "one row per (model, checkpoint step): weighted head s-acc and the model's accuracy";
  models_t.dataset = study.probe_test.source;
  models_t.columns = {"model", "group", "d_model", "n_heads", "d_head", "seed", "step",
                      "weighted_s_acc", "accuracy", "eos_accuracy", "n_successful", "accuracy_45", "cell"};
  auto num = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
  for (const auto& tm : study.models) {
    const ModelSpec& sp = tm.spec;
    for (const auto& s : tm.snapshots) {
      int n_ok = 0;
      for (const auto& h : s.heads) {
        n_ok += h.success;
        heads_t.add_row({sp.label(), sp.group, sp.D, sp.H, sp.E, sp.seed, s.step, h.head, h.s_acc, h.l_acc, h.auc,
                         num(h.w01), num(h.w02), h.mean_score, h.success ? 1 : 0, h.failure, h.s_acc_std,
                         h.s_acc_large_c, sp.cell});
      }
      models_t.add_row({sp.label(), sp.group, sp.D, sp.H, sp.E, sp.seed, s.step, s.weighted_s_acc, s.accuracy,
                        s.eos_accuracy, n_ok, s.accuracy_45, sp.cell});
    }
  }
  std::vector<Table> v;
  v.push_back(std::move(heads_t));
  v.push_back(std::move(models_t));
  return v;
}

json main_accuracy(const Count01Study& study) {
  std::vector<double> acc;
  for (auto* s : study.finals("main")) acc.push_back(s->accuracy);
  return stat_json(stat_of(acc));
}

}  // namespace hc::repro
