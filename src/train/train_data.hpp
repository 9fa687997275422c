#pragma once
// Where the trainer's examples come from: fresh samples every step (the
// default: example i of step s is drawn from RNG stream (seed, base + s)),
// or a fixed finite training set (--train-size N): N examples drawn once from
// the seed, reshuffled every epoch by (seed, epoch). A step's batch depends
// only on (seed, step), never on threads or on where a run resumed.
#include <cstdint>
#include <vector>

#include "tasks/task.hpp"

namespace hc {

class TrainData {
 public:
  // train_size 0: fresh samples; > 0: that many examples, drawn once.
  TrainData(const Task& task, uint64_t seed, int64_t train_size);

  // The `batch` examples of `step` (counted from 0), written into out
  // (resized to batch). With a fixed set, step s takes positions
  // [s * batch, (s + 1) * batch) of the endless sequence epoch 0, epoch 1, ...,
  // each epoch a permutation of the set.
  void batch(int64_t step, int batch, std::vector<Example>& out);

  bool fixed() const { return !set_.empty(); }
  const std::vector<Example>& set() const { return set_; }
  // The permutation of epoch e (a shuffle of 0..N-1 from (seed, e)); empty for fresh samples.
  std::vector<uint32_t> epoch_order(int64_t epoch) const;

 private:
  const std::vector<uint32_t>& order(int64_t epoch);
  const Task& task_;
  uint64_t seed_;
  std::vector<Example> set_;
  int64_t cached_epoch_ = -1;
  std::vector<uint32_t> cached_order_;
};

}  // namespace hc
