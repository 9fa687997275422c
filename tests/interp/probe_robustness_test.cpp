// Probe robustness beside the paper's s-acc (liblinear, C = 1, raw z): the
// standardised-feature probe is invariant to the scale and offset of z, the
// paper's probe is not, and head scores come from a double-precision pass.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "../fixtures.hpp"
#include "core/rng.hpp"
#include "interp/head_metrics.hpp"

namespace hc {
namespace interp_probe_robustness_test {

// One feature, two classes at -1 and +1 with noise of sd 0.5, scaled by `scale`
// and shifted by `offset`: x = offset + scale * (+-1 + 0.5 N(0, 1)).
void make_data(double scale, double offset, uint64_t seed, std::vector<double>& x, std::vector<int>& y) {
  Rng rng(seed, 1);
  x.clear(), y.clear();
  for (int i = 0; i < 400; ++i) {
    const int label = i % 2;
    y.push_back(label);
    x.push_back(offset + scale * ((label ? 1.0 : -1.0) + 0.5 * rng.normal()));
  }
}

TEST(ProbeRobustness, StandardisedProbeIgnoresScaleAndOffsetThePaperProbeDoesNot) {
  std::vector<double> xtr, xte;
  std::vector<int> ytr, yte;
  make_data(1.0, 0.0, 1, xtr, ytr);
  make_data(1.0, 0.0, 2, xte, yte);
  const double base = probe_accuracy(xtr, ytr, xte, yte, 1, 1.0, true);
  EXPECT_GT(base, 0.95);
  // The same data, tiny in scale and far from 0 (as a head's z can be).
  std::vector<double> str, ste;
  make_data(1e-3, 5.0, 1, str, ytr);
  make_data(1e-3, 5.0, 2, ste, yte);
  EXPECT_NEAR(probe_accuracy(str, ytr, ste, yte, 1, 1.0, true), base, 1e-12);
  const double paper = probe_accuracy(str, ytr, ste, yte, 1);  // C = 1, raw, regularised bias
  EXPECT_LT(paper, 0.9) << "the paper's probe should struggle with a tiny, offset feature";
  // A large C lets the raw probe get further than C = 1 does.
  EXPECT_GE(probe_accuracy(str, ytr, ste, yte, 1, 1e4), paper);
  EXPECT_THROW(probe_accuracy(xtr, ytr, xte, yte, 1, 0.0), Error);
}

TEST(ProbeRobustness, HeadScoresComeFromADoublePrecisionPass) {
  TaskConfig tc;
  tc.name = "count01";
  auto task = make_task(tc);
  const Model<float> model = testing::fixture_model("count01_tl.safetensors", *task);
  const Dataset test = load_text(*task, testing::fixture("count01_tl.test.txt"));
  const EqActivations d = collect_eq_activations(model, *task, test);
  // A pattern edit that changes nothing takes the float32 path.
  const EqActivations f =
      collect_eq_activations(model, *task, test, [](int, const int32_t*, int, float*, int) {});
  ASSERT_EQ(d.score.size(), f.score.size());
  int differ = 0;
  for (size_t i = 0; i < d.score.size(); ++i) {
    EXPECT_NEAR(d.score[i], f.score[i], 1e-4 * (1 + std::fabs(f.score[i])));
    differ += d.score[i] != f.score[i];
  }
  EXPECT_GT(differ, 0) << "double-precision scores should not equal the float32 ones bit for bit";
  // z (the probe's input) is the float32 model's, as the paper's PyTorch model gives it.
  EXPECT_EQ(d.z, f.z);
}

}  // namespace interp_probe_robustness_test
}  // namespace hc
