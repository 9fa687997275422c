#pragma once
// Counterfactual pairs for activation and path patching: each task's
// corruption (Task::corrupt, defined for the built-in tasks in
// corruption.cpp) applied to a clean data set, example by example.
#include <cstdint>
#include <string>

#include "tasks/task.hpp"

namespace hc {

struct CorruptedPairs {
  Dataset clean, corrupted;  // paired one to one: same length and query position, different answers
  size_t skipped = 0;        // clean examples with no corruption (Task::corrupt gave nullopt)
};

// Pairs of the examples of `clean` that have a corruption, drawn from
// Rng(seed, stream 16). Throws hc::Error when the task has no corruption or
// no example of `clean` has one.
CorruptedPairs corrupted_pairs(const Task& task, const Dataset& clean, uint64_t seed);

}  // namespace hc
