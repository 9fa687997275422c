#pragma once
#include <vector>

#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct EvalResult {
  int n = 0;
  double accuracy = 0;      // argmax at the query position == answer (the headline number)
  double eos_accuracy = 0;  // every later loss position right (EOS for the built-in tasks)
  double seq_accuracy = 0;  // every loss position right
  double loss = 0;          // mean cross-entropy over the loss positions
  std::vector<int32_t> predictions;  // [n] argmax at the query position
};

// Evaluates in batches of up to 4096 examples.
EvalResult evaluate(Model<float>& model, const Task& task, const Dataset& ds, int threads);

}  // namespace hc
