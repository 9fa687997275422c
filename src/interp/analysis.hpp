#pragma once
// The analysis plug-in point (docs/ARCHITECTURE.md). An analysis declares its
// name, when it applies (model shape, task traits) and how it runs; running it
// gives a typed result that renders itself as JSON (its block of summary.json),
// tables (CSV), text (its block of the text summary) and, for sweeps, per-head
// figures. `headcount analyze` and --only, the head study, sweep `analyses`,
// reproduce and the report all take analyses from this one registry.
//
// Adding an analysis: write a result type deriving from AnalysisResult and a
// function returning an Analysis, then call register_analysis once (the
// built-in ones are registered in interp/builtin_analyses.cpp, one line each).
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// What every analysis may be given; each reads the fields it needs.
struct AnalysisOptions {
  int threads = 1;
  uint64_t seed = 1;                    // generated train split, invariance families
  std::vector<int> heads_of_interest;   // edge-scaling pairs among these (empty: every pair)
  std::string families;                 // invariance families file; empty: generated
  int n_families = 20;
  // The split probes are fitted on (Count01's s-acc). Null: generated from
  // Split::Train, as many examples as the evaluation set, `seed`, stream 2.
  const Dataset* train = nullptr;
  // A sweep asks each analysis only for its per-head figures, on every model
  // of a grid: an analysis may then skip work whose results it would not
  // report there (ablation: single heads only).
  bool for_sweep = false;
  // In a sweep, the first sweep_examples examples of the evaluation set are
  // what single-head ablation reads (the rest serves the probes).
  size_t sweep_examples = 0;
};

struct AnalysisContext {
  AnalysisContext(const Model<float>& m, const Task& t, const Dataset& d, const AnalysisOptions& o)
      : model(m), task(t), data(d), options(o) {}
  const Model<float>& model;
  const Task& task;
  const Dataset& data;  // the evaluation set
  const AnalysisOptions& options;
  // options.train, or the generated train split (made once, on first use).
  const Dataset& train_set() const;

 private:
  mutable std::shared_ptr<Dataset> generated_train_;
};

// One per-head figure for a sweep's `heads` table.
struct HeadValue {
  int head;            // flat head index (layer * H + head)
  std::string metric;  // e.g. "zero_ablation_accuracy"
  double value;
};

// A typed result. Concrete results hold their figures as C++ fields, which
// studies and the report read directly; these methods render them.
class AnalysisResult {
 public:
  virtual ~AnalysisResult() = default;
  // This analysis's block of summary.json.
  virtual nlohmann::json summary() const = 0;
  // Its tables (one CSV each); names and columns are the result's own.
  virtual const std::vector<Table>& tables() const = 0;
  // Its block of the text summary (starts with a blank line).
  virtual void text(std::ostream& out, const ModelConfig& config) const = 0;
  // Per-head figures and per-run figures for a sweep's results tables.
  virtual std::vector<HeadValue> head_values() const { return {}; }
  virtual nlohmann::json run_values() const { return nlohmann::json::object(); }
  // Fields this result also puts at the top level of the head study's
  // summary.json (e.g. Count01's "heads" and "weighted_s_acc", which scripts
  // read there); an object, usually empty.
  virtual nlohmann::json top_level() const { return nlohmann::json::object(); }
};

struct Analysis {
  std::string name;         // what --only and sweep specs name, e.g. "ablation"
  std::string description;  // one line, for --help and errors
  // "" when the analysis applies to this model and task; otherwise why not,
  // as the end of a sentence ("needs a one-layer model with the Count01 paper's
  // counting traits; this is a 2-layer max-of-list model").
  std::function<std::string(const ModelConfig&, const Task&)> not_applicable;
  // Whether `analyze` without --only runs it (where it applies).
  bool by_default = true;
  // Whether it reads a train split (analyze --train-set).
  bool uses_train_set = false;
  // Where its block goes in the text summary (lower first; ties keep
  // registration order), so that the text reads weights after data.
  int text_order = 1000;
  std::function<std::unique_ptr<AnalysisResult>(const AnalysisContext&)> run;
  // Optional: what it needs that neither the model nor the task gives (""
  // when nothing), e.g. invariance on a task with no default families and no
  // --families file. `analyze` skips it by default then, and --only says why.
  std::function<std::string(const AnalysisContext&)> missing_input;
  // Optional: why `analyze` without --only leaves it out on this model although
  // it applies ("" to run it), e.g. a cost that grows past minutes with depth.
  // The head study records the reason under "not_run"; --only runs it.
  std::function<std::string(const AnalysisContext&)> skip_by_default;
  // Optional cheap checks of the inputs (a families file, say), run for every
  // chosen analysis before any runs, so that bad input fails before minutes
  // of work.
  std::function<void(const AnalysisContext&)> precheck;
};

// Adds an analysis; a second one with the same name is an hc::Error.
void register_analysis(Analysis analysis);
// Every registered analysis, in registration order (the built-ins first).
const std::vector<Analysis>& analyses();
// The analysis of that name, or an hc::Error listing the registered names
// (and the nearest one). `option` names where the name came from.
const Analysis& find_analysis(const std::string& name, const std::string& option);
// Comma-separated names -> analyses, duplicates dropped; an unknown or empty
// name is an hc::Error naming `option` and listing the valid names.
std::vector<const Analysis*> parse_analysis_list(const std::string& list, const std::string& option = "--only");

// Why an analysis does not apply, in the common phrasing ("" when it does).
std::string not_one_layer_counting(const ModelConfig& c, const Task& task);

}  // namespace hc
