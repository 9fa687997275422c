#pragma once
#include <vector>

#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// The loss positions of a task are the answer's (Task::n_answer_positions)
// and, after them, the ones that predict EOS.
struct EvalResult {
  int n = 0;
  double accuracy = 0;      // every answer position right (the headline number)
  double eos_accuracy = 0;  // every position after the answer right (1 when the task has none)
  double seq_accuracy = 0;  // both
  double loss = 0;          // mean cross-entropy over the loss positions
  bool has_eos = true;      // the task has loss positions after the answer
  std::vector<int32_t> predictions;  // [n] argmax at the query position
  std::vector<AccuracyPart> parts;   // the task's own breakdown (Task::accuracy_parts); often empty
};

// Evaluates in batches of up to 4096 examples.
EvalResult evaluate(Model<float>& model, const Task& task, const Dataset& ds, int threads);

// parts as JSON: {"tens_digit": {"accuracy": .., "correct": .., "n": ..}, ..}.
nlohmann::json parts_json(const std::vector<AccuracyPart>& parts);

}  // namespace hc
