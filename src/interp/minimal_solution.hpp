#pragma once
// The smallest Count01 solver, built by hand (ANALYSES.md part A; the
// argument is in docs/COUNT01_METRICS.md): d_model 1, one head, d_head 1, no
// positional embedding, uniform attention, and an unembedding bias b_U. A
// one-dimensional residual without b_U provably cannot work: its logits are
// x * u_t, so only two tokens can ever win, and Count01 needs three (`4`,
// `5`, EOS). build_minimal_solution_no_bias gives the bias-free alternative,
// d_model 2 with a constant second dimension.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// D = 1, H = 1, E = 1, biases on (only b_U is non-zero). Throws hc::Error for
// a task other than Count01.
Model<float> build_minimal_solution(const Task& task);
// D = 2, H = 1, E = 1, no biases.
Model<float> build_minimal_solution_no_bias(const Task& task);

struct SolutionCheck {
  int64_t checked = 0;         // strings scored
  int64_t correct_answer = 0;  // argmax at `=` is the answer
  int64_t correct_eos = 0;     // argmax at the answer position is EOS
  int exhaustive_up_to = 0;    // every valid string of length <= this was scored
  int64_t random = 0;          // of which random strings longer than that
};

// Scores every valid string (ties skipped unless ties_as_4) of length
// min_len .. min(max_len, exhaustive_max_len), then n_random uniform random
// strings with lengths in (exhaustive_max_len, max_len] (none when
// max_len <= exhaustive_max_len).
SolutionCheck verify_count01_model(Model<float>& model, const Task& task, int exhaustive_max_len = 12,
                                   int64_t n_random = 100000, uint64_t seed = 1, int threads = 1);

struct TinyTrainingOptions {
  std::vector<int> d_models = {1, 2, 4};
  int seeds = 50;                 // seeds 1..seeds per d_model
  int64_t steps = 1500;
  bool biases = false;
  double success_accuracy = 0.99; // "working": held-out answer and EOS accuracy both >= this
  int eval_size = 2000;
  int threads = 1;                // models trained at once, one core each (results do not depend on it)
};

struct TinyTrainingResult {
  // {"by_d_model": [{"d_model", "n", "n_success", "rate"}], "steps", "success_accuracy", ...}
  nlohmann::json summary;
  std::vector<Table> tables;  // "tiny_training": d_model, seed, accuracy, eos_accuracy, success
};

// Trains one-head, d_head-1 models from random initialisation with
// default_train_config("count01") (steps and d_model overridden) and counts
// how many reach a working model.
TinyTrainingResult tiny_training_success(const TaskConfig& task, const TinyTrainingOptions& opt = {});

}  // namespace hc
