// Parity with a TransformerLens-layout Count01 model: per-head results and
// attention patterns at `=` match what PyTorch computed.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "io/layouts.hpp"
#include "io/safetensors.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/evaluate.hpp"

namespace hc {
namespace parity_count01_tl_test {  // this file's own names (unity builds batch test files)
using testing::fixture;

TEST(ParityCount01TL, HeadResultsAndPatternsAtEqualsMatchPyTorch) {
  TaskConfig tc;
  tc.name = "count01";
  auto task = make_task(tc);
  LoadedWeights w = load_weights(fixture("count01_tl.safetensors"), std::nullopt,
                                 ModelHints{task->n_ctx(), task->vocab_size(), task->name()});
  Model<float> model(w.config);
  model.params() = w.params;
  const st::File ref = st::read(fixture("count01_tl.reference.safetensors"));
  const auto tok64 = ref.get("test_tokens").to_i64();  // [N, T+1] full sequences
  const auto eq = ref.get("eq_pos").to_i64();
  const auto result = ref.get("result_at_eq").to_f32();    // [N,H,D]
  const auto pattern = ref.get("pattern_at_eq").to_f32();  // [N,H,T]
  const int N = 256, T = task->n_ctx(), H = 16, D = 32;
  ASSERT_EQ(ref.get("test_tokens").shape[1], T + 1);
  std::vector<int32_t> tokens, rows;
  for (int i = 0; i < N; ++i) {
    for (int t = 0; t < T; ++t) tokens.push_back(int32_t(tok64[size_t(i) * (T + 1) + t]));
    rows.push_back(int32_t(eq[i]));
  }
  Activations<float> a;
  model.run_full(tokens.data(), N, rows.data(), 1, nullptr, a);
  double err_r = 0, err_p = 0;
  for (int i = 0; i < N; ++i)
    for (int h = 0; h < H; ++h) {
      for (int d = 0; d < D; ++d)
        err_r = std::max(err_r, double(std::abs(a.layers[0].result[(size_t(i) * H + h) * D + d] -
                                               result[(size_t(i) * H + h) * D + d])));
      for (int t = 0; t < T; ++t)
        err_p = std::max(err_p, double(std::abs(a.layers[0].pattern[(size_t(i) * H + h) * T + t] -
                                               pattern[(size_t(i) * H + h) * T + t])));
    }
  EXPECT_LT(err_r, 1e-4);
  EXPECT_LT(err_p, 1e-5);
}

TEST(ParityCount01TL, AccuracyOnTestSetMatchesExpected) {
  TaskConfig tc;
  tc.name = "count01";
  auto task = make_task(tc);
  LoadedWeights w = load_weights(fixture("count01_tl.safetensors"), std::nullopt,
                                 ModelHints{task->n_ctx(), task->vocab_size(), task->name()});
  Model<float> model(w.config);
  model.params() = w.params;
  EvalResult r = evaluate(model, *task, load_text(*task, fixture("count01_tl.test.txt")), 2);
  const auto expected = testing::fixture_json("count01_tl.expected.json");
  EXPECT_LE(std::abs(r.accuracy - expected.at("accuracy").get<double>()) * r.n, 1.0 + 1e-9);
  EXPECT_LE(std::abs(r.eos_accuracy - expected.at("eos_accuracy").get<double>()) * r.n, 1.0 + 1e-9);
}

}  // namespace parity_count01_tl_test
}  // namespace hc
