#include "train/evaluate.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "train/batch.hpp"

namespace hc {

EvalResult evaluate(Model<float>& model, const Task& task, const Dataset& ds, int threads) {
  if (ds.examples.empty()) throw Error("cannot evaluate on '" + ds.source + "': it holds no examples");
  EvalResult r;
  r.n = int(ds.examples.size());
  const int V = model.config().d_vocab;
  int ok = 0, ok_eos = 0, ok_seq = 0;
  double loss = 0;
  std::vector<float> logits;
  const size_t step = 4096;
  for (size_t b0 = 0; b0 < ds.examples.size(); b0 += step) {
    const size_t b1 = std::min(ds.examples.size(), b0 + step);
    Batch batch = make_batch(task, ds.examples, b0, b1);
    loss += model.logits(batch, logits, threads) * double(b1 - b0);
    // The answer is the first loss position; the rest (EOS for the built-in
    // tasks, further targets for a file task) count as "eos" together.
    for (int i = 0; i < batch.B; ++i) {
      const float* z = logits.data() + size_t(i) * batch.P * V;
      const int pred = int(std::max_element(z, z + V) - z);
      const Example& ex = ds.examples[b0 + i];
      bool e = true;
      for (int p = 1; p < batch.P; ++p) {
        const float* zp = z + size_t(p) * V;
        e = e && int(std::max_element(zp, zp + V) - zp) == batch.targets[size_t(i) * batch.P + p];
      }
      const bool a = pred == ex.answer;
      ok += a;
      ok_eos += e;
      ok_seq += a && e;
      r.predictions.push_back(pred);
    }
  }
  r.accuracy = double(ok) / r.n;
  r.eos_accuracy = double(ok_eos) / r.n;
  r.seq_accuracy = double(ok_seq) / r.n;
  r.loss = loss / r.n;
  return r;
}

}  // namespace hc
