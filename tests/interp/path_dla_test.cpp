// Path-level DLA: the parts add up to the logit (and to the logit difference
// against the runner-up) of the forward pass within 1e-4 on every example, on
// a random model with every bias set and on PyTorch-trained fixtures; that
// logit (a double forward) is the float model's within its rounding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "interp/patch.hpp"
#include "interp/path_dla.hpp"
#include "puzzle2_model.hpp"
#include "random_model.hpp"

namespace hc {
namespace path_dla_test {

void expect_adds_up(const Model<float>& m, const Dataset& data) {
  for (bool diff : {false, true}) {
    SCOPED_TRACE(diff ? "logit difference" : "logit");
    const std::vector<int> against = diff ? runner_up(m, data, 2) : std::vector<int>{};
    const PathDla r = path_dla(m, data, against, 2);
    ASSERT_EQ(r.total.size(), data.examples.size());
    double worst = 0, virtual_mass = 0;
    for (size_t i = 0; i < r.total.size(); ++i) {
      worst = std::max(worst, std::abs(r.sum_of_parts(i) - r.total[i]));
      for (double v : std::vector<double>(r.virtual_v.begin() + long(i * r.H * r.H),
                                          r.virtual_v.begin() + long((i + 1) * r.H * r.H)))
        virtual_mass += std::abs(v);
    }
    EXPECT_LT(worst, 1e-4);
    // The total is the model's own logit: the float forward's, up to its
    // rounding, which depends on the build (FMA contraction with -march=native
    // in Release, none in the sanitizer build: 1.5e-4 apart on a logit of 3.5
    // there), so the bound is 1e-3 relative; a missing term (a bias, a head)
    // moves the logit by far more.
    const std::vector<float> lg = patch_logits(m, data, Setter{}, 0, 2);
    const int V = m.config().d_vocab;
    for (size_t i = 0; i < r.total.size(); ++i) {
      const double f = double(lg[i * V + r.answer[i]]) - (diff ? double(lg[i * V + r.against[i]]) : 0.0);
      ASSERT_NEAR(r.total[i], f, 1e-3 * std::max(1.0, std::abs(f))) << i;
    }
    EXPECT_GT(virtual_mass, 0.0);  // the virtual heads are not left empty
  }
}

TEST(PathDla, PartsAddUpToTheLogitOnEveryExample) {
  TaskConfig c;
  c.name = "max-of-list-digits";
  auto task = make_task(c);
  const Model<float> m = testing::random_biased_model(*task, 2, 24, 4);
  expect_adds_up(m, generate(*task, Split::Test, 300, 2, 1));
}

TEST(PathDla, PartsAddUpOnAPyTorchFixture) {
  for (const char* dir : {"unique", "digits"}) {
    SCOPED_TRACE(dir);
    const auto p = testing::load_puzzle2(dir);
    expect_adds_up(*p.model, p.eval);
  }
}

TEST(PathDla, OneLayerModelIsAClearError) {
  TaskConfig c;
  auto task = make_task(c);
  const Model<float> m = testing::random_biased_model(*task, 1, 8, 1);
  try {
    path_dla(m, generate(*task, Split::Test, 5, 1, 1), {}, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("this model has 1 layer"), std::string::npos);
  }
}

}  // namespace path_dla_test
}  // namespace hc
