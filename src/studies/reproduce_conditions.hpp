#pragma once
// The conditions map of `headcount reproduce`: the main configuration (D32
// H16 E2) trained under recipe choices that plausibly differ from the
// paper's (initialisation std, training length, weight decay, noise rate, a
// fixed finite training set), a few models per cell. Per cell: the failed
// fraction, the successful heads' median w02 and share above 10, their
// median w01, and accuracy, each with a bootstrap over the cell's models;
// then the two claims that the default recipe does not reproduce ("about
// half the heads fail", "successful heads have w02 > 10") are judged on
// every cell with the same verdict rules as the claims table.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "studies/reproduce.hpp"
#include "studies/stats.hpp"
#include "studies/verdict.hpp"

namespace hc::repro {

struct ModelSpec;
struct Count01Study;

struct ConditionCell {
  std::string name;    // "init-0.02"
  std::string recipe;  // "--init-std 0.02 (else the default recipe)"
  double length = 1;   // training steps as a multiple of the plan's conditions_steps (1000 by default)
  double init_std = 0, weight_decay = -1, noise = -1, target = 0;
  int64_t train_size = 0;
};

// The cells of the plan (quick: 9, full: 15); empty when conditions_seeds is 0.
std::vector<ConditionCell> condition_cells(const ReproducePlan& plan);
// One model spec per (cell, seed), group "cond".
std::vector<ModelSpec> condition_models(const ReproducePlan& plan);

struct CellResult {
  ConditionCell cell;
  int n_models = 0;
  Interval failed, failed_std, median_w02, share_w02, median_w01, accuracy;
  double mean_steps = 0;
  Judgement about_half, w02_gt_10;
};

// The rules the two claims are judged by, shared with the claims table.
Quantitative about_half_rule();
Quantitative w02_share_rule();

struct ConditionsMap {
  std::vector<CellResult> cells;
  Table table;                       // conditions.csv
  nlohmann::json summary() const;    // summary.json["conditions"]
  std::string markdown() const;      // the section of REPRODUCTION.md
};

ConditionsMap conditions_map(const ReproducePlan& plan, const Count01Study& study);

}  // namespace hc::repro
