#include "studies/reproduce_conditions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "studies/reproduce_stats.hpp"
#include "studies/reproduce_train.hpp"

namespace hc::repro {

namespace {

using json = nlohmann::json;

ConditionCell cell(std::string name, std::string recipe) { return ConditionCell{std::move(name), std::move(recipe)}; }

std::string cells_list(const std::vector<CellResult>& cells, const std::string& word, bool about_half) {
  std::string o;
  for (const auto& c : cells)
    if ((about_half ? c.about_half.word : c.w02_gt_10.word) == word) o += (o.empty() ? "" : ", ") + c.cell.name;
  return o.empty() ? "none" : o;
}

}  // namespace

Quantitative about_half_rule() { return {0.4, 0.6, "'about half' read as [0.4, 0.6]"}; }
Quantitative w02_share_rule() {
  return {0.8, 1.0, "'successful heads have w02 > 10' read as a share of at least 0.8: [0.8, 1]"};
}

std::vector<ConditionCell> condition_cells(const ReproducePlan& plan) {
  std::vector<ConditionCell> v;
  if (plan.conditions_seeds <= 0) return v;
  // The base cell is the study's own recipe (plan.init_std); the init cells
  // change only the std, the task's default 0.8/sqrt(D) among them.
  const bool base_is_default = !(plan.init_std > 0);
  v.push_back(cell("base", "the study's recipe: 1000 steps, init std " +
                               (base_is_default ? std::string("0.8/sqrt(D) = 0.14") : fmt("%g", plan.init_std)) +
                               ", weight decay 0.01, noise 1/3, fresh samples"));
  auto add = [&](ConditionCell c, bool quick) {
    if (quick || plan.conditions_full) v.push_back(std::move(c));
  };
  ConditionCell c = cell("init-0.02", "--init-std 0.02");
  if (plan.init_std != 0.02) c.init_std = 0.02, add(c, true);
  c = cell("init-0.05", "--init-std 0.05");
  c.init_std = 0.05, add(c, false);
  c = cell("init-0.14", "--init-std 0.1414 (the task's default 0.8/sqrt(32))");
  if (!base_is_default) c.init_std = 0.8 / std::sqrt(32.0), add(c, true);
  c = cell("init-0.5", "--init-std 0.5");
  c.init_std = 0.5, add(c, true);
  c = cell("to-target", "stop at 99% held-out answer and EOS accuracy (checked every 25 steps, at most 1000)");
  c.target = 0.99, add(c, true);
  c = cell("steps-300", "300 steps");
  c.length = 0.3, add(c, false);
  c = cell("steps-3k", "3000 steps");
  c.length = 3, add(c, true);
  c = cell("steps-10k", "10000 steps");
  c.length = 10, add(c, false);
  c = cell("wd-0", "--weight-decay 0");
  c.weight_decay = 0, add(c, true);
  c = cell("wd-0.1", "--weight-decay 0.1");
  c.weight_decay = 0.1, add(c, false);
  c = cell("wd-1", "--weight-decay 1");
  c.weight_decay = 1, add(c, true);
  c = cell("noise-0.1", "--noise 0.1 (probe sets drawn at the same noise)");
  c.noise = 0.1, add(c, true);
  c = cell("noise-0.5", "--noise 0.5 (probe sets drawn at the same noise)");
  c.noise = 0.5, add(c, false);
  c = cell("fixed-1k", "--train-size 1000 (a fixed set, reshuffled every epoch; 1000 steps of 256 = 256 epochs)");
  c.train_size = 1000, add(c, true);
  c = cell("fixed-10k", "--train-size 10000 (about 26 epochs in 1000 steps)");
  c.train_size = 10000, add(c, false);
  return v;
}

std::vector<ModelSpec> condition_models(const ReproducePlan& plan) {
  std::vector<ModelSpec> v;
  for (const ConditionCell& c : condition_cells(plan))
    for (int s = 1; s <= plan.conditions_seeds; ++s) {
      ModelSpec m{"cond", 32, 16, 2, 200 + s};
      m.cell = c.name;
      m.steps = std::max<int64_t>(1, int64_t(std::llround(c.length * double(plan.conditions_steps))));
      m.init_std = c.init_std > 0 ? c.init_std : plan.init_std;
      m.weight_decay = c.weight_decay, m.noise = c.noise;
      m.train_size = c.train_size, m.target = c.target;
      v.push_back(m);
    }
  return v;
}

ConditionsMap conditions_map(const ReproducePlan& plan, const Count01Study& study) {
  ConditionsMap map;
  Table& t = map.table;
  t.name = "conditions";
  t.description =
      "one row per conditions-map cell (D32 H16 E2 under one recipe change): estimates with 95% bootstrap intervals "
      "over the cell's models";
  t.dataset = study.probe_source() + " (noise cells: the same sizes at their noise)";
  t.columns = {"cell", "recipe", "n_models", "mean_steps"};
  for (const char* k : {"failed_fraction", "failed_fraction_std", "median_w02_successful", "share_w02_gt_10",
                        "median_w01_successful", "accuracy"})
    for (const char* s : {"", "_lo", "_hi"}) t.columns.push_back(std::string(k) + s);
  t.columns.push_back("about_half");
  t.columns.push_back("w02_gt_10");
  const int R = plan.bootstrap;
  for (const ConditionCell& c : condition_cells(plan)) {
    CellResult r;
    r.cell = c;
    std::vector<double> failed, failed_std, acc;
    std::vector<std::vector<double>> w02_ok, w01_ok, gt10;
    double steps = 0;
    for (const auto& tm : study.models) {
      if (tm.spec.group != "cond" || tm.spec.cell != c.name || tm.snapshots.empty()) continue;
      const Snapshot& s = tm.snapshots.back();
      int f = 0, fs = 0;
      std::vector<double> w02, w01, g;
      for (const auto& h : s.heads) {
        f += !h.success, fs += h.s_acc_std < 0.95;
        if (h.success && std::isfinite(h.w02)) w02.push_back(h.w02), g.push_back(h.w02 > 10 ? 1.0 : 0.0);
        if (h.success && std::isfinite(h.w01)) w01.push_back(h.w01);
      }
      failed.push_back(double(f) / double(s.heads.size()));
      failed_std.push_back(double(fs) / double(s.heads.size()));
      acc.push_back(s.accuracy);
      w02_ok.push_back(w02), w01_ok.push_back(w01), gt10.push_back(g);
      steps += double(s.step);
    }
    r.n_models = int(failed.size());
    if (r.n_models == 0) continue;
    r.mean_steps = steps / r.n_models;
    r.failed = bootstrap_mean(failed, R, 21);
    r.failed_std = bootstrap_mean(failed_std, R, 22);
    r.accuracy = bootstrap_mean(acc, R, 23);
    r.median_w02 = clustered_pooled(w02_ok, median_of, R, 24);
    r.median_w01 = clustered_pooled(w01_ok, median_of, R, 25);
    r.share_w02 = clustered_pooled(gt10, [](const std::vector<double>& v) { return stat_of(v).mean; }, R, 26);
    r.about_half = about_half_rule().judge(r.failed);
    r.w02_gt_10 = w02_share_rule().judge(r.share_w02);
    std::vector<json> row = {c.name, c.recipe, r.n_models, r.mean_steps};
    auto num = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
    for (const Interval* iv : {&r.failed, &r.failed_std, &r.median_w02, &r.share_w02, &r.median_w01, &r.accuracy}) {
      row.push_back(num(iv->estimate));
      row.push_back(num(iv->lo));
      row.push_back(num(iv->hi));
    }
    row.push_back(r.about_half.word);
    row.push_back(r.w02_gt_10.word);
    t.add_row(row);
    map.cells.push_back(std::move(r));
  }
  return map;
}

json ConditionsMap::summary() const {
  json cells_j = json::array();
  for (const auto& c : cells)
    cells_j.push_back({{"cell", c.cell.name},
                       {"recipe", c.cell.recipe},
                       {"n_models", c.n_models},
                       {"mean_steps", c.mean_steps},
                       {"failed_fraction", c.failed.to_json()},
                       {"failed_fraction_std", c.failed_std.to_json()},
                       {"median_w02_successful", c.median_w02.to_json()},
                       {"share_w02_gt_10", c.share_w02.to_json()},
                       {"median_w01_successful", c.median_w01.to_json()},
                       {"accuracy", c.accuracy.to_json()},
                       {"about_half", c.about_half.word},
                       {"w02_gt_10", c.w02_gt_10.word}});
  return {{"cells", cells_j},
          {"about_half_reproduced_in", cells_list(cells, kReproduced, true)},
          {"w02_gt_10_reproduced_in", cells_list(cells, kReproduced, false)}};
}

std::string ConditionsMap::markdown() const {
  if (cells.empty()) return "";
  auto ci = [](const Interval& i, const char* f) {
    return fmt(f, i.estimate) + " [" + fmt(f, i.lo) + ", " + fmt(f, i.hi) + "]";
  };
  const int n = cells.front().n_models;
  std::string o = "## Conditions map\n\nThe main configuration (D32 H16 E2) under one recipe change per cell, " +
                  std::to_string(n) +
                  " models per cell (seeds 201...). Every interval is a 95% percentile bootstrap over the cell's "
                  "models (n = " + std::to_string(n) +
                  " per cell; pooled head statistics resample whole models). Failed: s-acc < 0.95 with the paper's "
                  "probe; std: the same with standardised z. w02 and w01: medians over the successful heads. "
                  "Table: conditions.csv; figure: report.html.\n\n"
                  "| cell | recipe | steps | failed (paper's probe) | failed (std z) | median w02 (successful) | "
                  "share w02 > 10 | median w01 | accuracy | about half? | w02 > 10? |\n"
                  "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& c : cells)
    o += "| " + c.cell.name + " | " + c.cell.recipe + " | " + fmt("%.0f", c.mean_steps) + " | " +
         ci(c.failed, "%.2f") + " | " + ci(c.failed_std, "%.2f") + " | " + ci(c.median_w02, "%.1f") + " | " +
         ci(c.share_w02, "%.2f") + " | " + ci(c.median_w01, "%.2f") + " | " + ci(c.accuracy, "%.3f") + " | " +
         c.about_half.word + " | " + c.w02_gt_10.word + " |\n";
  o += "\nRules (the claims table's): about half: reproduced when the interval of the failed fraction meets [0.4, 0.6], contradicted when it lies outside; "
       "w02 > 10: reproduced when the interval of the share of successful heads with w02 > 10 meets [0.8, 1].\n\n";
  o += "- **About half the heads fail** reproduces under: " + cells_list(cells, kReproduced, true) +
       "; contradicted under: " + cells_list(cells, kContradicted, true) + "; not shown under: " +
       cells_list(cells, kNotShown, true) + ".\n";
  o += "- **Successful heads have w02 > 10** reproduces under: " + cells_list(cells, kReproduced, false) +
       "; contradicted under: " + cells_list(cells, kContradicted, false) + "; not shown under: " +
       cells_list(cells, kNotShown, false) + ".\n";
  return o + "\n";
}

}  // namespace hc::repro
