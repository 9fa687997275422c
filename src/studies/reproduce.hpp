#pragma once
// `headcount reproduce`: the Count01 paper study (ANALYSES.md part A) and the
// Max-of-List head study (part B) end to end, on models headcount trains
// itself. Every claim of part A gets a row "claim | paper | ours | reproduced?"
// in REPRODUCTION.md, backed by tables in one output directory.
// docs/REPRODUCTION.md explains each row's test and shows a real run.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"

namespace hc {

struct ReproduceOptions {
  std::string out = "reproduce";
  bool full = false;     // more seeds and the full training recipes
  int jobs = 1;          // models trained at once, one core each (results do not depend on it)
  bool progress = true;  // stage lines on stderr
  std::string command;   // the command line, for REPRODUCTION.md
};

// The sizes of a study; quick() and full() are the two presets.
struct ReproducePlan {
  int main_seeds = 16;          // Count01 D32 H16 E2 models (the paper's main configuration)
  int isolated_seeds = 16;      // 1-head models at the same d_head (D32 H1 E2)
  int grid_seeds = 8;           // per extra configuration (D16 H8 E2, D8 H4 E2) for the correlation
  int64_t count01_steps = 1000;
  // The initialisation std of every Count01 model the study trains (0: the
  // task's default 0.8/sqrt(D)). 0.02 is the only recipe of the conditions
  // map under which both "about half the heads fail" and "successful heads
  // have w02 > 10" reproduce (docs/REPRODUCTION.md).
  double init_std = 0.02;
  std::vector<int64_t> snapshots = {10, 20, 40, 80};  // training checkpoints studied (the last step always is)
  int probe_train = 2000, probe_test = 2000;          // Count01 splits for the per-head metrics
  int intervention_models = 4;  // main models whose heads get the w01 intervention
  int verify_up_to = 12;         // the hand-built solutions are checked on every string up to this length
  int verify_random = 50000;     // ... and on this many random longer ones
  int tiny_seeds = 50;
  int64_t tiny_steps = 1500;
  int64_t mol_steps = 20000;    // Max-of-List recipe (cosine over these steps)
  double mol_target = 0.995;    // stop at this held-out accuracy (0: train every step)
  int bootstrap = 2000;         // resamples of every model bootstrap
  // Independent final models of varied size (D32 H16, D16 H8, D8 H4, cycling)
  // and training length (quality_steps, cycling every 3 models), seeds from
  // 101: the correlation over final models.
  int quality_models = 24;
  std::vector<int64_t> quality_steps = {15, 30, 60, 120, 250, 500, 1000, 2000};
  // The conditions map (reproduce_conditions.hpp): models per cell, and the
  // 15-cell map (true) or the 9-cell one.
  int conditions_seeds = 4;
  int64_t conditions_steps = 1000;  // the base cell's training length (the other cells scale it)
  bool conditions_full = false;

  static ReproducePlan quick();
  static ReproducePlan full();
};

struct ReproduceResult {
  nlohmann::json summary;     // summary.json: the plan, every claim, the study summaries
  std::vector<Table> tables;  // written as CSV beside it
  std::string markdown;       // REPRODUCTION.md
};

// Runs the whole study and writes opt.out/{summary.json, REPRODUCTION.md,
// *.csv, max_of_list/{run,analysis}/}. Throws hc::Error on an unwritable
// output directory before any training.
ReproduceResult run_reproduce(const ReproduceOptions& opt, const ReproducePlan& plan);

// Statistics used by the claims (exposed for tests).
double pearson(const std::vector<double>& x, const std::vector<double>& y);
// Percentile bootstrap interval of Pearson's r over pairs resampled with
// replacement (seeded, so the interval is reproducible).
std::pair<double, double> bootstrap_pearson_ci(const std::vector<double>& x, const std::vector<double>& y,
                                               int resamples, double level, uint64_t seed);

}  // namespace hc
