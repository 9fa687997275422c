#include "train/batch.hpp"

#include "core/error.hpp"

namespace hc {

Batch make_batch(const Task& task, const std::vector<Example>& examples, size_t begin, size_t end) {
  Batch b;
  b.B = int(end - begin);
  b.T = task.n_ctx();
  b.P = task.n_loss_positions();
  b.tokens.reserve(size_t(b.B) * b.T);
  b.rows.reserve(size_t(b.B) * b.P);
  b.targets.reserve(size_t(b.B) * b.P);
  for (size_t i = begin; i < end; ++i) {
    const Example& ex = examples[i];
    if (int(ex.loss_pos.size()) != b.P)
      throw Error("task " + task.name() + ": an example has " + std::to_string(ex.loss_pos.size()) +
                  " loss positions, the task declares " + std::to_string(b.P));
    b.tokens.insert(b.tokens.end(), ex.seq.begin(), ex.seq.begin() + b.T);
    for (int p : ex.loss_pos) {
      b.rows.push_back(p);
      b.targets.push_back(ex.seq[p + 1]);
    }
  }
  return b;
}

}  // namespace hc
