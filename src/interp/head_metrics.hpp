#pragma once
// The Count01 paper's per-head metrics (ANALYSES.md part A) at the `=`
// position of a one-layer model: s-acc (a liblinear logistic-regression probe
// on the head's z), l-acc and ROC AUC of the head's own logit difference
// r_h · (u_5 - u_4), the attention ratios w01 and w02, success, a failure
// signature, and the weighted head s-acc. docs/COUNT01_METRICS.md gives the
// definitions and every choice made here.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// What one forward pass gives at `=`, per example i and head h (doubles so the
// probe sees the same numbers scikit-learn would).
struct EqActivations {
  int N = 0, H = 0, E = 0;
  std::vector<double> z;      // [N,H,E] head output z_h at `=`
  std::vector<double> score;  // [N,H]   r_h · (u_5 - u_4), from a double-precision forward pass when
                              //         there is no pattern edit (float32 scores tie for nearly constant heads)
  std::vector<double> w01;    // [N,H]   per-0-token / per-1-token attention; NaN if the string lacks either
  std::vector<double> w02;    // [N,H]   per-0-token / per-2-token attention; NaN likewise
  std::vector<int> label;     // [N]     1 if the answer is `5`, 0 if `4`
};

// Edits head h's attention row at `=` in place: tokens is the example's input
// [T], row the pattern over keys [T]; keys after eq_pos are masked (zero).
using PatternEdit = std::function<void(int h, const int32_t* tokens, int eq_pos, float* row, int T)>;

// Runs the model on every example (query row `=` only) and collects the
// above; `edit` (may be empty) rewrites patterns before they are used.
// Throws hc::Error unless the model is a one-layer model of a Count01 task.
EqActivations collect_eq_activations(const Model<float>& model, const Task& task, const Dataset& data,
                                     const PatternEdit& edit = {});

// s-acc: fits liblinear's L2-regularised logistic regression (primal solver
// L2R_LR, C = 1, bias feature 1, regularised, eps 1e-4: scikit-learn's
// LogisticRegression(solver="liblinear")) on x_train [n_train, dim] with
// labels in {0,1}, and returns its accuracy on x_test. A training set with a
// single class predicts that class (scikit-learn refuses to fit).
// `C` and `standardise` give the robustness variants reported beside it:
// standardise scales each feature to mean 0, sd 1 on the training split
// (the test split with the same shift and scale) before fitting.
double probe_accuracy(const std::vector<double>& x_train, const std::vector<int>& y_train,
                      const std::vector<double>& x_test, const std::vector<int>& y_test, int dim, double C = 1.0,
                      bool standardise = false);

// ROC AUC of `score` for the positive class (label 1): the Mann-Whitney
// statistic, a tied positive/negative pair counting one half. Throws hc::Error
// if either class is absent.
double roc_auc(const std::vector<double>& score, const std::vector<int>& label);

struct HeadMetricsOptions {
  double success_s_acc = 0.95;     // a head succeeds iff s-acc >= this
  double extreme_log10_w01 = 1.0;  // |log10 w01| above this: "w01 too extreme"
  double min_w02 = 10.0;           // w02 below this: "w02 too small"
  double misaligned_l_acc = 0.9;   // successful head with l-acc below this: "separable but misaligned"
};

struct HeadMetric {
  int head = 0;
  double s_acc = 0, l_acc = 0, auc = 0, w01 = 0, w02 = 0;
  // Probe robustness (reported beside s-acc, never used for success):
  // standardised z with C = 1, and raw z with C = 1e4 (almost unregularised).
  double s_acc_std = 0, s_acc_large_c = 0;
  double mean_score = 0;  // mean over the test split of r_h · (u_5 - u_4)
  bool success = false;
  std::string failure;    // "none", "w01 too extreme", "w02 too small", "separable but misaligned", "other"
};

// The failure signature of one head (see HeadMetricsOptions for thresholds).
std::string failure_signature(double s_acc, double l_acc, double w01, double w02, const HeadMetricsOptions& opt);

struct HeadMetricsResult {
  nlohmann::json summary;   // {"heads": [...], "weighted_s_acc", "n_train", "n_test", "dataset", "thresholds"}
  std::vector<Table> tables;  // "heads"
  std::vector<HeadMetric> heads;
  double weighted_s_acc = 0;
};

// The probe is fitted on `train` and every metric is scored on `test`.
HeadMetricsResult head_metrics(const Model<float>& model, const Task& task, const Dataset& train,
                               const Dataset& test, const HeadMetricsOptions& opt = {});

}  // namespace hc
