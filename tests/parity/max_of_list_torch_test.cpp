// Parity with PyTorch: the fixture model trained by PyTorch 1.13, loaded from
// its puzzle layout, must give PyTorch's logits, attention patterns and
// accuracy.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "io/layouts.hpp"
#include "io/safetensors.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/evaluate.hpp"

namespace hc {
namespace parity_max_of_list_torch_test {  // this file's own names (unity builds batch test files)
using testing::fixture;

struct Loaded {
  Model<float> model;
  explicit Loaded(LoadedWeights w) : model(w.config) { model.params() = std::move(w.params); }
};

Loaded load_fixture() {
  auto task = make_task(TaskConfig{});
  return Loaded(load_weights(fixture("max_of_list_torch.safetensors"), std::nullopt,
                             ModelHints{task->n_ctx(), task->vocab_size(), task->name()}));
}

TEST(ParityMaxOfListTorch, LogitsAndPatternsMatchPyTorchOnProbeTokens) {
  Loaded l = load_fixture();
  const st::File ref = st::read(fixture("max_of_list_torch.reference.safetensors"));
  const auto tokens64 = ref.get("probe_tokens").to_i64();
  const auto logits = ref.get("probe_logits").to_f32();
  const auto patterns = ref.get("probe_patterns").to_f32();
  const int N = int(ref.get("probe_tokens").shape[0]), T = 12, V = 14, H = 4;
  ASSERT_EQ(N, 32);
  std::vector<int32_t> tokens(tokens64.begin(), tokens64.end());
  Activations<float> a;
  l.model.run_full(tokens.data(), N, nullptr, 0, nullptr, a);
  double max_logit_err = 0, max_pattern_err = 0;
  for (size_t i = 0; i < logits.size(); ++i) max_logit_err = std::max(max_logit_err, double(std::abs(a.logits[i] - logits[i])));
  // Our pattern is [B,H,Q,T] like PyTorch's [N,H,query,key].
  ASSERT_EQ(a.layers[0].pattern.size(), patterns.size());
  for (size_t i = 0; i < patterns.size(); ++i)
    max_pattern_err = std::max(max_pattern_err, double(std::abs(a.layers[0].pattern[i] - patterns[i])));
  EXPECT_LT(max_logit_err, 1e-4);
  EXPECT_LT(max_pattern_err, 1e-4);
  // The fast training path gives the same logits at the loss positions.
  Batch b;
  b.B = N;
  b.T = T;
  b.P = 2;
  b.tokens = tokens;
  for (int i = 0; i < N; ++i) b.rows.insert(b.rows.end(), {10, 11});
  std::vector<float> fast;
  l.model.logits(b, fast, 2);
  for (int i = 0; i < N; ++i)
    for (int p = 0; p < 2; ++p)
      for (int v = 0; v < V; ++v)
        ASSERT_NEAR(fast[(size_t(i) * 2 + p) * V + v], logits[(size_t(i) * T + 10 + p) * V + v], 1e-4);
  (void)H;
}

TEST(ParityMaxOfListTorch, AccuracyOnTestListsMatchesExpectedWithinOneExample) {
  Loaded l = load_fixture();
  auto task = make_task(TaskConfig{});
  Dataset ds = load_text(*task, fixture("max_of_list_torch.test.txt"));
  ASSERT_EQ(ds.examples.size(), 5000u);
  // The text set holds the same lists as the reference's test_lists.
  const st::File ref = st::read(fixture("max_of_list_torch.reference.safetensors"));
  const auto lists = ref.get("test_lists").to_i64();
  for (size_t i = 0; i < 5000; ++i)
    for (int k = 0; k < 5; ++k) ASSERT_EQ(ds.examples[i].seq[1 + 2 * k], lists[i * 5 + k]) << i;
  EvalResult r = evaluate(l.model, *task, ds, 2);
  const double expected = testing::fixture_json("max_of_list_torch.expected.json").at("accuracy").get<double>();
  EXPECT_LE(std::abs(r.accuracy - expected) * 5000, 1.0 + 1e-9);
}

}  // namespace parity_max_of_list_torch_test
}  // namespace hc
