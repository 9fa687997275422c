#include "train/train_data.hpp"

#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace hc {

namespace {
// RNG streams of the trainer (trainer.cpp uses 1 for the test split and
// 1,000,000 + step for fresh batches); these never overlap them.
constexpr uint64_t kBatchStreamBase = 1000000;
constexpr uint64_t kTrainSetStream = 2;
constexpr uint64_t kEpochStreamBase = 1ull << 40;
}  // namespace

TrainData::TrainData(const Task& task, uint64_t seed, int64_t train_size) : task_(task), seed_(seed) {
  if (train_size < 0 || train_size > 100000000)
    throw Error("--train-size must be in [0, 1e8] (got " + std::to_string(train_size) +
                "); 0 draws fresh examples every step");
  if (train_size > 0) {
    set_ = generate(task, Split::Train, int(train_size), seed, kTrainSetStream).examples;
    if (set_.empty()) throw Error("--train-size " + std::to_string(train_size) + ": task " + task.name() +
                                  " gave no training examples; give a task with a training split");
  }
}

std::vector<uint32_t> TrainData::epoch_order(int64_t epoch) const {
  std::vector<uint32_t> p(set_.size());
  std::iota(p.begin(), p.end(), 0u);
  Rng rng(seed_, kEpochStreamBase + uint64_t(epoch));
  for (size_t i = p.size(); i > 1; --i) std::swap(p[i - 1], p[rng.below(uint32_t(i))]);  // Fisher-Yates
  return p;
}

const std::vector<uint32_t>& TrainData::order(int64_t epoch) {
  if (epoch != cached_epoch_) cached_order_ = epoch_order(epoch), cached_epoch_ = epoch;
  return cached_order_;
}

void TrainData::batch(int64_t step, int batch, std::vector<Example>& out) {
  out.resize(size_t(batch));
  if (!fixed()) {
    Rng rng(seed_, kBatchStreamBase + uint64_t(step));
    for (auto& ex : out) ex = task_.sample(rng, Split::Train);
    return;
  }
  const int64_t n = int64_t(set_.size());
  for (int i = 0; i < batch; ++i) {
    const int64_t pos = step * int64_t(batch) + i;
    out[size_t(i)] = set_[order(pos / n)[size_t(pos % n)]];
  }
}

}  // namespace hc
