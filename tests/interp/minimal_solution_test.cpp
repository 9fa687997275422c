// The hand-built Count01 solvers score 100% (answer at `=` and EOS one step
// later) on every string up to length 12 and on random longer ones; the
// verifier does catch a broken model; the tiny-training measurement runs.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "interp/minimal_solution.hpp"
#include "tasks/count01.hpp"

namespace hc {
namespace interp_minimal_solution_test {  // this file's own names (unity builds batch test files)
TaskConfig count01_config() {
  TaskConfig tc;
  tc.name = "count01";
  return tc;
}

TEST(MinimalSolution, OneDimensionWithUnembedBiasScoresPerfectly) {
  auto task = make_task(count01_config());
  Model<float> m = build_minimal_solution(*task);
  EXPECT_EQ(m.config().d_model, 1);
  EXPECT_EQ(m.config().n_heads, 1);
  EXPECT_EQ(m.config().d_head, 1);
  EXPECT_FALSE(m.config().pos_embed);
  const SolutionCheck r = verify_count01_model(m, *task, 12, 50000, 1, 2);
  EXPECT_EQ(r.exhaustive_up_to, 12);
  EXPECT_EQ(r.random, 50000);
  EXPECT_GT(r.checked, 700000);  // sum of 3^n for n <= 12, less ties, plus the sample
  EXPECT_EQ(r.correct_answer, r.checked);
  EXPECT_EQ(r.correct_eos, r.checked);
}

TEST(MinimalSolution, TwoDimensionsWithoutBiasesScorePerfectly) {
  auto task = make_task(count01_config());
  Model<float> m = build_minimal_solution_no_bias(*task);
  EXPECT_EQ(m.config().d_model, 2);
  EXPECT_FALSE(m.config().biases);
  const SolutionCheck r = verify_count01_model(m, *task, 10, 20000, 2, 2);
  EXPECT_EQ(r.correct_answer, r.checked);
  EXPECT_EQ(r.correct_eos, r.checked);
}

// Other task shapes: ties counted as `4`, no noise, a longer maximum.
TEST(MinimalSolution, HoldsForOtherTaskConfigs) {
  TaskConfig tc = count01_config();
  tc.ties_as_4 = true;
  tc.noise = 0.0;
  tc.max_len = 30;
  auto task = make_task(tc);
  Model<float> m = build_minimal_solution(*task);
  const SolutionCheck r = verify_count01_model(m, *task, 14, 20000, 3, 2);
  EXPECT_EQ(r.exhaustive_up_to, 14);
  EXPECT_EQ(r.correct_answer, r.checked);
  EXPECT_EQ(r.correct_eos, r.checked);
}

// The verifier must be able to fail: swapping the `4` and `5` unembeddings
// makes every answer wrong while EOS still wins one step later.
TEST(MinimalSolution, VerifierCatchesABrokenModel) {
  auto task = make_task(count01_config());
  Model<float> m = build_minimal_solution(*task);
  float* W_U = m.param(ParamKind::W_U);
  float* b_U = m.param(ParamKind::b_U);
  std::swap(W_U[Count01Task::kFour], W_U[Count01Task::kFive]);
  std::swap(b_U[Count01Task::kFour], b_U[Count01Task::kFive]);
  const SolutionCheck r = verify_count01_model(m, *task, 8, 0, 1, 2);
  EXPECT_GT(r.checked, 0);
  EXPECT_EQ(r.correct_answer, 0);
  EXPECT_EQ(r.correct_eos, r.checked);
}

TEST(MinimalSolution, RejectsOtherTasks) {
  auto task = make_task(TaskConfig{});
  EXPECT_THROW(build_minimal_solution(*task), Error);
}

TEST(MinimalSolution, TinyTrainingMeasurementRuns) {
  TinyTrainingOptions o;
  o.d_models = {2};
  o.seeds = 2;
  o.steps = 40;
  o.eval_size = 200;
  const TinyTrainingResult r = tiny_training_success(count01_config(), o);
  ASSERT_EQ(r.tables.at(0).rows.size(), 2u);
  const auto& d = r.summary.at("by_d_model").at(0);
  EXPECT_EQ(d.at("d_model").get<int>(), 2);
  EXPECT_EQ(d.at("n").get<int>(), 2);
  int n_success = 0;
  for (const auto& row : r.tables[0].rows) {
    const double acc = row[2].get<double>(), eos = row[3].get<double>();
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
    EXPECT_EQ(row[4].get<int>(), acc >= o.success_accuracy && eos >= o.success_accuracy ? 1 : 0);
    n_success += row[4].get<int>();
  }
  EXPECT_EQ(d.at("n_success").get<int>(), n_success);
}

}  // namespace interp_minimal_solution_test
}  // namespace hc
