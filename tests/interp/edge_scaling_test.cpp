// Attention-edge scaling: s = 1 leaves the logits unchanged, the edit does
// what its mode says to the pattern, and the one-layer shortcut agrees with
// the hooked forward.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "core/error.hpp"
#include "interp/edge_scaling.hpp"
#include "io/layouts.hpp"
#include "tasks/count01.hpp"

namespace hc {
namespace interp_edge_scaling_test {  // this file's own names (unity builds batch test files)
Model<float> fixture_model() { return testing::fixture_model("max_of_list_torch.safetensors", *make_task(TaskConfig{})); }

TEST(EdgeScaling, ScaleOneLeavesLogitsUnchanged) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 300, 1, 1);
  const std::vector<float> clean = patch_logits(m, data, Setter{}, 0, 2);
  const EdgeTarget target = default_edge_target(*task);
  // Both modes, every head: bit for bit (score x 1 is exact; weight mode
  // does not renormalise an unchanged softmax row).
  for (EdgeMode mode : {EdgeMode::score, EdgeMode::weight})
    EXPECT_EQ(patch_logits(m, data, edge_scaling_setter(m, target, mode, {{15, 1.0}}), 0, 2), clean)
        << edge_mode_name(mode);
  // And s != 1 does change them (the test can fail).
  EXPECT_NE(patch_logits(m, data, edge_scaling_setter(m, target, EdgeMode::score, {{15, 0.5}}), 0, 2), clean);
}

TEST(EdgeScaling, WeightModeRemovesTheEdgeAndRenormalises) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 100, 3, 1);
  const EdgeTarget target = default_edge_target(*task);
  Setter inner = edge_scaling_setter(m, target, EdgeMode::weight, {{1ull << 0, 0.0}});
  // An observer sees each point after the edits: head 0's query row must put
  // nothing on the max positions and still sum to 1.
  double worst_mass = 0, worst_sum = 0;
  const Setter check = [&](int point, const Chunk& ch, Hooks<float>& h) {
    inner(point, ch, h);
    h.observer = [&, ch](const HookKey& k, const HookView<float>& v) {
      if (k.site != Site::pattern) return;
      const int T = v.shape[3], H = v.shape[1];
      for (int b = 0; b < ch.B; ++b) {
        const float* p = v.data + size_t(b) * H * T;  // head 0, the only (query) row
        double mass = 0, sum = 0;
        for (int j = 0; j < T; ++j) {
          sum += p[j];
          if (target.keys(ch.example(b), j)) mass += p[j];
        }
        worst_mass = std::max(worst_mass, mass);
        worst_sum = std::max(worst_sum, std::abs(sum - 1.0));
      }
    };
  };
  patch_logits(m, data, check, 0, 1);
  EXPECT_EQ(worst_mass, 0.0);
  EXPECT_LT(worst_sum, 1e-5);
}

TEST(EdgeScaling, ShortcutMatchesTheHookedForward) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 1000, 4, 1);
  EdgeScalingOptions o;
  o.grid = {0.0, 0.3, 0.7, 1.0};
  o.threads = 2;
  const EdgeTarget target = default_edge_target(*task);
  const auto fast = edge_scaling(m, data, target, o);
  o.force_hooked = true;
  const auto hooked = edge_scaling(m, data, target, o);
  EXPECT_EQ(fast.summary["method"], "linear");
  for (const char* mode : {"score", "weight"})
    for (const char* kind : {"accuracy", "pair_accuracy"})
      for (const auto& [k, curve] : hooked.summary[mode][kind].items())
        for (size_t i = 0; i < curve.size(); ++i)
          EXPECT_NEAR(fast.summary[mode][kind][k][i].get<double>(), curve[i].get<double>(), 2.0 / 1000)
              << mode << " " << k << " s=" << o.grid[i];
  // Cutting every head's max edges breaks a max-finding model.
  EXPECT_LT(fast.summary["weight"]["pair_accuracy"]["1,3"][0].get<double>(), 0.5);
}

TEST(EdgeScaling, Count01TargetIsTheZeroAndOneTokensBeforeTheQuery) {
  TaskConfig tc;
  tc.name = "count01";
  auto task = make_task(tc);
  const Example ex = task->parse("0 2 1 1 = 5 EOS", 1);
  const EdgeTarget t = default_edge_target(*task);
  EXPECT_EQ(t.description, "tokens 0 and 1");
  std::vector<bool> got;
  for (int j = 0; j < 8; ++j) got.push_back(t.keys(ex, j));
  EXPECT_EQ(got, (std::vector<bool>{true, false, true, true, false, false, false, false}));
}

TEST(EdgeScaling, BadGridOrHeadIsAnError) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 10, 1, 1);
  EdgeScalingOptions o;
  o.grid = {0.0, 1.5};
  EXPECT_THROW(edge_scaling(m, data, default_edge_target(*task), o), Error);
  o.grid = {0.0, 1.0};
  o.pair_heads = {0, 4};
  EXPECT_THROW(edge_scaling(m, data, default_edge_target(*task), o), Error);
}

}  // namespace interp_edge_scaling_test
}  // namespace hc
