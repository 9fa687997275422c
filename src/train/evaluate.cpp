#include "train/evaluate.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "train/batch.hpp"

namespace hc {

EvalResult evaluate(Model<float>& model, const Task& task, const Dataset& ds, int threads) {
  if (ds.examples.empty()) throw Error("cannot evaluate on '" + ds.source + "': it holds no examples");
  EvalResult r;
  r.n = int(ds.examples.size());
  r.parts = task.accuracy_parts();
  const int V = model.config().d_vocab;
  const int P = task.n_loss_positions(), A = std::min(task.n_answer_positions(), P);
  r.has_eos = P > A;
  int ok = 0, ok_eos = 0, ok_seq = 0;
  double loss = 0;
  std::vector<float> logits;
  std::vector<int32_t> pred(static_cast<size_t>(P));
  const size_t step = 4096;
  for (size_t b0 = 0; b0 < ds.examples.size(); b0 += step) {
    const size_t b1 = std::min(ds.examples.size(), b0 + step);
    Batch batch = make_batch(task, ds.examples, b0, b1);
    loss += model.logits(batch, logits, threads) * double(b1 - b0);
    for (int i = 0; i < batch.B; ++i) {
      bool a = true, e = true;
      for (int p = 0; p < P; ++p) {
        const float* z = logits.data() + (size_t(i) * P + size_t(p)) * V;
        pred[size_t(p)] = int32_t(std::max_element(z, z + V) - z);
        const bool right = pred[size_t(p)] == batch.targets[size_t(i) * P + size_t(p)];
        (p < A ? a : e) &= right;
      }
      ok += a;
      ok_eos += e;
      ok_seq += a && e;
      r.predictions.push_back(pred[0]);
      if (!r.parts.empty()) task.score_parts(ds.examples[b0 + size_t(i)], pred.data(), r.parts);
    }
  }
  r.accuracy = double(ok) / r.n;
  r.eos_accuracy = double(ok_eos) / r.n;
  r.seq_accuracy = double(ok_seq) / r.n;
  r.loss = loss / r.n;
  return r;
}

nlohmann::json parts_json(const std::vector<AccuracyPart>& parts) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& p : parts) j[p.key] = {{"accuracy", p.accuracy()}, {"correct", p.correct}, {"n", p.n}};
  return j;
}

}  // namespace hc
