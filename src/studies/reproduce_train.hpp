#pragma once
// The training step of `headcount reproduce`: the Count01 model plan (which
// configurations and seeds), training every model with per-head metrics at
// each checkpoint, and the two tables of those checkpoints. The claims
// (studies/claims/) read what this step leaves in a Count01Study.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/head_metrics.hpp"
#include "interp/table.hpp"
#include "model/model.hpp"
#include "studies/reproduce.hpp"
#include "tasks/task.hpp"
#include "train/trainer.hpp"

namespace hc::repro {

// Stage lines on stderr, with the elapsed time.
class Stages {
 public:
  explicit Stages(bool on) : on_(on), t0_(std::chrono::steady_clock::now()) {}
  void say(const std::string& s);
  double seconds() const;

 private:
  bool on_;
  std::chrono::steady_clock::time_point t0_;
  std::mutex mu_;
};

struct ModelSpec {
  std::string group;  // "main", "isolated", "grid"
  int D, H, E;
  int seed;
  std::string label() const;  // "D32-H16-E2-s1"
};

struct Snapshot {
  int64_t step = 0;
  double accuracy = 0, eos_accuracy = 0, weighted_s_acc = 0;
  std::vector<HeadMetric> heads;
};

struct TrainedModel {
  ModelSpec spec;
  std::vector<Snapshot> snapshots;  // in step order; the last is the final model
  std::optional<Model<float>> final_model;
  nlohmann::json logit_dynamics;  // the final model's logit_dynamics() summary (main models only)
};

// The Count01 side of the study once trained.
struct Count01Study {
  TaskConfig task_config;
  std::unique_ptr<Task> task;
  Dataset probe_train, probe_test;  // per-head metrics are fit on the first and scored on the second
  std::vector<TrainedModel> models;

  // The final checkpoints of one group's models, in model order.
  std::vector<const Snapshot*> finals(const std::string& group) const;
  // The `dataset` field of the per-head tables.
  std::string probe_source() const;
};

// The training recipe of one Count01 model of the plan.
TrainConfig count01_config(const ModelSpec& s, int64_t steps);

// The model plan: main (D32 H16 E2), isolated (D32 H1 E2) and grid (D16 H8 E2,
// D8 H4 E2) models, seeds from 1, in this order.
std::vector<ModelSpec> count01_model_plan(const ReproducePlan& plan);

// Trains every model of the plan (opt.jobs at a time, one thread each) and
// scores every head at plan.snapshots and the last step. Main models get the
// final model's logit dynamics; the first plan.intervention_models (at least
// one) keep their final model.
Count01Study train_count01_models(const ReproduceOptions& opt, const ReproducePlan& plan, Stages& stages);

// "heads" (one row per model, checkpoint and head) and "correlation" (one row
// per model and checkpoint).
std::vector<Table> checkpoint_tables(const Count01Study& study);

// summary.json's "count01_main_accuracy": the main models' final accuracy.
nlohmann::json main_accuracy(const Count01Study& study);

}  // namespace hc::repro
