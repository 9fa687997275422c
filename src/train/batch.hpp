#pragma once
// Examples -> model inputs: tokens [B,T], query rows at the loss positions
// [B,P], targets [B,P].
#include <vector>

#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

Batch make_batch(const Task& task, const std::vector<Example>& examples, size_t begin, size_t end);
inline Batch make_batch(const Task& task, const std::vector<Example>& examples) {
  return make_batch(task, examples, 0, examples.size());
}

}  // namespace hc
