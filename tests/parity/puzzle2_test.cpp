// Parity with PyTorch for the puzzle series' two-layer models: the fixtures
// of tests/data/puzzle2 (trained by PyTorch 1.13, make_fixtures.py), read from
// their puzzle folders (model.pt + config.json) and from safetensors with the
// config beside them, give PyTorch's logits and attention patterns within
// 1e-4 and its accuracy within one example.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "io/layouts.hpp"
#include "io/puzzle_checkpoint.hpp"
#include "io/safetensors.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/evaluate.hpp"

namespace hc {
namespace parity_puzzle2_test {

using testing::fixture;

struct Loaded {
  std::unique_ptr<Task> task;
  ModelConfig config;
  std::vector<float> params;
};

// The task from config.json, the weights from `weights` in the puzzle layout.
Loaded load(const std::string& dir, const std::string& weights) {
  const std::string w = fixture("puzzle2/" + dir + "/" + weights);
  const auto cfg = puzzle_config_beside(w);
  EXPECT_TRUE(cfg.has_value());
  const PuzzleCheckpoint pc = read_puzzle_config(*cfg, w);
  EXPECT_TRUE(pc.task.has_value()) << pc.missing_task;
  Loaded l;
  l.task = make_task(*pc.task);
  LoadedWeights lw = load_weights(w, Layout::Puzzle, ModelHints{l.task->n_ctx(), l.task->vocab_size(), l.task->name()});
  check_puzzle_config(pc, lw.config);
  l.config = lw.config;
  l.params = std::move(lw.params);
  return l;
}

void expect_parity(const std::string& dir, const std::string& weights, const std::string& task, bool pos) {
  SCOPED_TRACE(dir + "/" + weights);
  Loaded l = load(dir, weights);
  EXPECT_EQ(l.task->name(), task);
  EXPECT_EQ(l.config.n_layers, 2);
  EXPECT_EQ(l.config.pos_embed, pos);
  Model<float> model(l.config);
  model.params() = l.params;

  const st::File ref = st::read(fixture("puzzle2/" + dir + "/reference.safetensors"));
  const auto tokens64 = ref.get("probe_tokens").to_i64();
  const auto logits = ref.get("probe_logits").to_f32();
  const auto patterns = ref.get("probe_patterns").to_f32();  // [N, L, H, T, T]
  const int N = int(ref.get("probe_tokens").shape[0]), T = l.task->n_ctx(), H = l.config.n_heads;
  ASSERT_EQ(int(ref.get("probe_tokens").shape[1]), T);
  std::vector<int32_t> tokens(tokens64.begin(), tokens64.end());
  Activations<float> a;
  model.run_full(tokens.data(), N, nullptr, 0, nullptr, a);
  ASSERT_EQ(a.logits.size(), logits.size());
  double logit_err = 0, pattern_err = 0;
  for (size_t i = 0; i < logits.size(); ++i) logit_err = std::max(logit_err, double(std::abs(a.logits[i] - logits[i])));
  for (int layer = 0; layer < 2; ++layer) {
    const auto& ours = a.layers[size_t(layer)].pattern;  // [N, H, T, T]
    ASSERT_EQ(ours.size(), size_t(N) * H * T * T);
    for (int b = 0; b < N; ++b)
      for (size_t i = 0; i < size_t(H) * T * T; ++i) {
        const float theirs = patterns[((size_t(b) * 2 + size_t(layer)) * H * T * T) + i];
        pattern_err = std::max(pattern_err, double(std::abs(ours[size_t(b) * H * T * T + i] - theirs)));
      }
  }
  EXPECT_LT(logit_err, 1e-4);
  EXPECT_LT(pattern_err, 1e-4);

  // Accuracy (and each part) on the held-out examples PyTorch scored.
  const Dataset ds = load_text(*l.task, fixture("puzzle2/" + dir + "/eval.txt"));
  const auto expected = testing::fixture_json("puzzle2/" + dir + "/expected.json");
  ASSERT_EQ(int(ds.examples.size()), expected.at("n").get<int>());
  const EvalResult r = evaluate(model, *l.task, ds, 2);
  EXPECT_LE(std::abs(int(std::lround(r.accuracy * r.n)) - expected.at("correct").get<int>()), 1) << r.accuracy;
  ASSERT_FALSE(r.parts.empty());
  for (const auto& p : r.parts) {
    EXPECT_EQ(p.n, expected.at(p.key).at("n").get<int64_t>()) << p.key;
    EXPECT_LE(std::abs(p.correct - expected.at(p.key).at("correct").get<int64_t>()), 1) << p.key;
  }
}

TEST(ParityPuzzle2, TwoLayerDigitsModelWithPositionsMatchesPyTorch) {
  expect_parity("digits", "model.pt", "max-of-list-digits", true);
  expect_parity("digits", "weights.safetensors", "max-of-list-digits", true);
}

TEST(ParityPuzzle2, TwoLayerCountUniqueModelWithoutPositionsMatchesPyTorch) {
  expect_parity("unique", "model.pt", "count-unique", false);
  expect_parity("unique", "weights.safetensors", "count-unique", false);
}

}  // namespace parity_puzzle2_test
}  // namespace hc
