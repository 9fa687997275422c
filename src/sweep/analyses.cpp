#include "sweep/analyses.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "model/hooks.hpp"
#include "tasks/task.hpp"

namespace hc {

namespace {

// Held-out accuracy at the query position with head `head` zero-ablated
// (its z set to 0; -1: no ablation).
double accuracy_without_head(const Model<float>& model, const Task& task, const Dataset& ds, int head) {
  const ModelConfig& c = model.config();
  const int T = c.n_ctx, V = c.d_vocab, L = c.n_layers;
  std::vector<int32_t> tokens, rows;
  for (const auto& ex : ds.examples) {
    tokens.insert(tokens.end(), ex.seq.begin(), ex.seq.begin() + T);
    rows.push_back(ex.query_pos);
  }
  Hooks<float> hooks;
  if (head >= 0)
    for (int l = 0; l < L; ++l)
      hooks.add({Site::z, l}, [&](HookView<float>& v) {  // z [B,Q,H,E]
        const int H = v.shape[2], E = v.shape[3];
        for (int64_t n = 0; n < int64_t(v.shape[0]) * v.shape[1]; ++n)
          std::fill_n(v.data + (n * H + head) * E, E, 0.f);
      });
  Activations<float> a;
  model.run_full(tokens.data(), int(ds.examples.size()), rows.data(), 1, &hooks, a);
  int ok = 0;
  for (size_t i = 0; i < ds.examples.size(); ++i) {
    const float* z = a.logits.data() + i * V;
    ok += int(std::max_element(z, z + V) - z) == ds.examples[i].answer;
  }
  return double(ok) / double(ds.examples.size());
}

}  // namespace

std::vector<HeadFigure> run_analyses(const std::vector<std::string>& analyses, const Model<float>& model,
                                     const TrainConfig& cfg) {
  std::vector<HeadFigure> out;
  for (const auto& name : analyses) {
    if (name != "ablation") throw Error("unknown analysis '" + name + "'");
    auto task = make_task(cfg.task);
    const Dataset ds = generate(*task, Split::Test, std::min(cfg.eval_size, 2000), cfg.seed, 1);
    for (int h = 0; h < model.config().n_heads; ++h)
      out.push_back({h, "zero_ablation_accuracy", accuracy_without_head(model, *task, ds, h)});
  }
  return out;
}

}  // namespace hc
