#pragma once
// The head study (ANALYSES.md part B) as one composition: ablation, attention
// -edge scaling, attention-to-target statistics, value norms, invariance,
// direct logit attribution and circuits, on any model and task. Returns one
// summary JSON, every table, and a text summary a reader can take in within a
// minute. `headcount analyze` is a thin shell over it.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// The analyses, in the order they run: ablation, edge_scaling, attention,
// value_norms, invariance, dla, circuits, then the Count01 paper's
// head_metrics, w01_intervention, logit_dynamics (one-layer Count01 models
// only: skipped by default elsewhere, an error when asked for by name).
const std::vector<std::string>& analysis_names();

// The analyses that need a one-layer Count01 model.
const std::vector<std::string>& count01_analysis_names();

// Whether the Count01 analyses apply to this model and task.
bool count01_analyses_apply(const ModelConfig& config, const Task& task);

// "ablation,dla" -> {"ablation", "dla"}; an unknown or empty name is an
// hc::Error listing the valid ones.
std::vector<std::string> parse_analysis_list(const std::string& list);

// "0,3" -> {0, 3}; a non-number or a head outside 0..n_heads-1 (flat over
// layers) is an hc::Error naming `option`.
std::vector<int> parse_head_list(const std::string& list, int n_heads, const std::string& option);

struct HeadStudyOptions {
  std::vector<std::string> only;        // empty: every analysis
  std::vector<int> heads_of_interest;   // edge-scaling pairs among these (empty: every pair)
  std::string families;                 // invariance families in the text form; empty: generated
  int n_families = 20;                  // generated families
  uint64_t seed = 1;                    // generated families
  int threads = 1;
  std::string model_source;             // for the summary
  // Count01 analyses: the split the s-acc probe is fitted on (the evaluation
  // set scores it). Null: generated from Split::Train, as many examples as the
  // evaluation set, seed `seed`, stream 2 (disjoint from the test split by hash).
  const Dataset* train = nullptr;
  // Called with an analysis's name just before it runs (progress lines).
  std::function<void(const std::string& analysis)> on_start;
};

struct HeadStudy {
  nlohmann::json summary;
  std::vector<Table> tables;
  std::string text;
};

// Summary: {"model", "task", "config": {L,D,H,E,V,T}, "eval_set", "n_examples",
// "accuracy", "analyses": [..], and one key per analysis run ("ablation",
// "edge_scaling", "attention", "value_norms", "invariance", "dla", "circuits",
// "head_metrics", "w01_intervention", "logit_dynamics") holding that
// analysis's summary}. With head_metrics also "train_set", "n_train", the
// top-level "heads": [{"head","s_acc","l_acc","auc","w01","w02","success",
// "failure"}] and "weighted_s_acc".
HeadStudy head_study(const Model<float>& model, const Task& task, const Dataset& data, const HeadStudyOptions& opt);

// The text summary of a head_study summary.
std::string summary_text(const nlohmann::json& summary);

}  // namespace hc
