#pragma once
// The head study (ANALYSES.md part B) as one composition: ablation, attention
// -edge scaling, attention-to-target statistics, value norms, invariance,
// direct logit attribution and circuits, on any model and task. Returns one
// summary JSON, every table, and a text summary a reader can take in within a
// minute. `headcount analyze` is a thin shell over it.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/analysis.hpp"
#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// "ablation,dla" -> {"ablation", "dla"}: registered analyses
// (interp/analysis.hpp); an unknown or empty name is an hc::Error listing the
// valid ones.
std::vector<std::string> parse_analysis_names(const std::string& list);

// "0,3" -> {0, 3}; a non-number or a head outside 0..n_heads-1 (flat over
// layers) is an hc::Error naming `option`.
std::vector<int> parse_head_list(const std::string& list, int n_heads, const std::string& option);

struct HeadStudyOptions {
  std::vector<std::string> only;        // empty: every default analysis that applies
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
  // Called with each analysis's name as it starts (progress lines); may be empty.
  std::function<void(const std::string&)> progress;
};

struct StudyResult {
  const Analysis* analysis;
  std::shared_ptr<const AnalysisResult> result;
};

struct HeadStudy {
  nlohmann::json summary;
  std::vector<Table> tables;
  std::string text;
  std::vector<StudyResult> results;  // in the order they ran
};

// Summary: {"model", "task", "config": config.json's "model" object, "eval_set", "n_examples",
// "accuracy", "analyses": [..], "not_run": {name: why} for an analysis that
// applies but skip_by_default left out (only when there is one), and one key per analysis run ("ablation",
// "edge_scaling", "attention", "value_norms", "invariance", "dla", "circuits",
// "head_metrics", "w01_intervention", "logit_dynamics") holding that
// analysis's summary}. With head_metrics also "train_set", "n_train", the
// top-level "heads": [{"head","s_acc","l_acc","auc","w01","w02","success",
// "failure"}] and "weighted_s_acc".
HeadStudy head_study(const Model<float>& model, const Task& task, const Dataset& data, const HeadStudyOptions& opt);

// The text summary: the model, the data and accuracy, then each result's
// block in text order.
std::string study_text(const HeadStudy& study, const ModelConfig& config);

}  // namespace hc
