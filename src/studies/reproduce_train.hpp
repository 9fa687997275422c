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
  std::string group;  // "main", "isolated", "grid", "quality", or "cond" (a conditions-map cell)
  int D, H, E;
  int seed;
  // The recipe, where it differs from count01_config's (0 or < 0: unchanged).
  int64_t steps = 0;          // 0: the plan's count01_steps
  std::string cell{};         // the conditions-map cell ("" outside it)
  double init_std = 0;        // > 0: --init-std
  double weight_decay = -1;   // >= 0: --weight-decay
  double noise = -1;          // >= 0: the task's --noise (its own probe sets then)
  int64_t train_size = 0;     // > 0: --train-size
  double target = 0;          // > 0: --target-accuracy (checked every 25 steps)
  bool checkpoints = false;   // scored at the plan's snapshots too, not only at the end
  std::string label() const;  // "D32-H16-E2-s1", with the cell or the steps when they are set
};

struct Snapshot {
  int64_t step = 0;
  // accuracy: the answer is the argmax over the whole vocabulary (the model's
  // real output); accuracy_45: over {4, 5} only (which of the two answers wins).
  double accuracy = 0, eos_accuracy = 0, weighted_s_acc = 0, accuracy_45 = 0;
  std::vector<HeadMetric> heads;
};

struct TrainedModel {
  ModelSpec spec;
  std::vector<Snapshot> snapshots;  // in step order; the last is the final model
  std::optional<Model<float>> final_model;
  nlohmann::json logit_dynamics{};  // the final model's logit_dynamics() summary (main models only)
};

// A Count01 task with its probe sets (the per-head metrics are fit on train
// and scored on test).
struct ProbeSets {
  double noise = 0;
  std::unique_ptr<Task> task;
  Dataset train, test;
};

// The Count01 side of the study once trained.
struct Count01Study {
  TaskConfig task_config;
  std::unique_ptr<Task> task;
  Dataset probe_train, probe_test;  // per-head metrics are fit on the first and scored on the second
  std::vector<TrainedModel> models;
  // Conditions-map cells with another noise rate: their task and probe sets.
  std::vector<std::unique_ptr<ProbeSets>> other_noise;

  // The final checkpoints of one group's models, in model order.
  std::vector<const Snapshot*> finals(const std::string& group) const;
  // The `dataset` field of the per-head tables.
  std::string probe_source() const;
};

// The training recipe of one Count01 model of the plan (steps: the plan's
// count01_steps, used unless the spec sets its own).
TrainConfig count01_config(const ModelSpec& s, int64_t steps);

// Accuracy at `=` with the answer taken as the larger of logit(4) and
// logit(5) (ties: 4), on `data`.
double accuracy_45(Model<float>& model, const Task& task, const Dataset& data);

// The model plan: main (D32 H16 E2), isolated (D32 H1 E2) and grid (D16 H8 E2,
// D8 H4 E2) models, seeds from 1, scored at every checkpoint; then the
// quality models (independent final models of varied size and training
// length, for the correlation over final models); then the conditions-map
// cells (reproduce_conditions.hpp). In this order.
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
