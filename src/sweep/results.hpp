#pragma once
// The results of a sweep: one row per run (config columns, then final
// metrics), written as results.csv, results.json (for merging shards) and
// results.sqlite (tables runs, metrics, heads).
#include <string>
#include <vector>

#include "interp/table.hpp"
#include "sweep/run.hpp"

namespace hc {

struct SweepResults {
  std::string spec_digest;           // shards of one spec share it
  std::vector<std::string> columns;  // option columns, e.g. d_model, heads, seed
  std::vector<RunOutcome> runs;      // sorted by index
  // Which slice of the grid these runs are (--shard i/n; 0/1 for a whole
  // sweep), and the grid's size; -1 in results.json files from before they were recorded.
  int shard = -1, shards = -1;
  int64_t grid_runs = -1;
};

const std::vector<std::string>& metric_names();  // parameters, steps, accuracy, ...

Table results_table(const SweepResults& r);  // the rows of results.csv
void write_results(const std::string& dir, const SweepResults& r);
SweepResults read_results(const std::string& dir);  // from results.json
// Several shard result sets of one spec -> one, sorted by run index. Unless
// `partial`, refuses a shard given twice and a grid with shards (or runs)
// missing, naming the directories (`dirs`, one per part; may be empty).
SweepResults merge_results(const std::vector<SweepResults>& parts, bool partial = false,
                           const std::vector<std::string>& dirs = {});

// A text summary grouped by the given option columns (empty: one group).
std::string report(const SweepResults& r, const std::vector<std::string>& by);
// The same as JSON: {"by", "n_runs", "groups": [{"group": {col: value}, "n_runs",
// "ok", "failed", "accuracy_mean", "accuracy_sd", "eos_accuracy_mean", ...,
// "steps_sd" (null without a finished run)}], "failed_runs": [{"index",
// "options", "error"}]}.
nlohmann::json report_json(const SweepResults& r, const std::vector<std::string>& by);

}  // namespace hc
