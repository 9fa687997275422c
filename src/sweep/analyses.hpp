#pragma once
// Per-head figures computed on each finished model of a sweep (the "analyses"
// of a spec), stored in the results' `heads` table, and per-run figures
// stored beside the final metrics.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.hpp"
#include "sweep/run.hpp"
#include "train/trainer.hpp"

namespace hc {

struct AnalysisOutput {
  std::vector<HeadFigure> heads;                       // rows of the heads table
  nlohmann::json metrics = nlohmann::json::object();   // per-run figures, e.g. weighted_s_acc
};

// "ablation": per head, zero_ablation_accuracy on min(eval-size, 2000)
// held-out examples. "head_metrics" (one-layer Count01 models): per head
// s_acc, l_acc, auc, w01, w02, success (0/1), the probe fitted on 2,000
// examples of the train split (seed, stream 2) and scored on 2,000 of the
// test split (seed, stream 1); per run weighted_s_acc. Throws hc::Error for an
// unknown name or a model an analysis does not apply to.
AnalysisOutput run_analyses(const std::vector<std::string>& analyses, const Model<float>& model,
                            const TrainConfig& cfg);

}  // namespace hc
