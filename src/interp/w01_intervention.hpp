#pragma once
// The paper's attention intervention (figure 8): a head's attention row at
// `=` is replaced by a synthetic one that is zero everywhere except on the
// `0` and `1` tokens, where each `0` token gets w01 times the weight of each
// `1` token, normalised to sum 1. Sweeping w01 over a log grid and refitting
// the s-acc probe under the intervention shows the range of w01 over which
// the head's output still separates the classes.
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// Writes the synthetic row into row[0..T) for an input `tokens` whose `=` is
// at eq_pos. Strings with only `0`s (or only `1`s) among the symbols spread
// the weight evenly over those; a string with neither (only `2`s: possible
// with ties_as_4) puts all weight on `=` itself, the one key left that is
// neither noise nor a count.
void set_w01_row(const int32_t* tokens, int eq_pos, double w01, float* row, int T);

struct W01InterventionOptions {
  std::vector<double> grid;  // empty: 13 points 1e-3 .. 1e3, two per decade
  std::vector<int> heads;    // empty: every head
};

std::vector<double> default_w01_grid();

struct W01InterventionResult {
  // {"grid": [...], "heads": [{"head", "s_acc_unmodified", "s_acc": [per grid point]}], "n_train", "n_test", "dataset"}
  nlohmann::json summary;
  std::vector<Table> tables;  // "w01_intervention": head, w01, s_acc (one row per head and grid point)
};

// For each grid value, every selected head's row at `=` is replaced (the
// probe is refitted on `train` under the same intervention and scored on
// `test`). In a one-layer model z_h depends only on head h's own pattern, so
// all heads are intervened on in one forward pass: each head's z is exactly
// what intervening on it alone would give.
W01InterventionResult w01_intervention(const Model<float>& model, const Task& task, const Dataset& train,
                                       const Dataset& test, const W01InterventionOptions& opt = {});

}  // namespace hc
