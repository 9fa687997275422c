// Divergence guards: a NaN or Inf in the loss or the gradient stops training
// with the step, the last good checkpoint and a fix; --skip-bad-batches skips
// bad batches instead, and gives up after too many in a row.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "../cli/cli_util.hpp"
#include "core/error.hpp"
#include "train/checkpoint.hpp"

namespace hc {
namespace reliability_divergence_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::run_cli;

TEST(Divergence, AbsurdLearningRateStopsAndTheLastCheckpointStaysLoadable) {
  const std::string dir = testing::temp_dir("diverge") + "/run";
  auto r = run_cli("train --task count01 --lr 1000 --steps 200 --checkpoint-every 1 --threads 1 --quiet --out " + dir);
  ASSERT_EQ(r.code, 1) << r.output;
  const std::string ck = dir + "/checkpoint.safetensors";
  EXPECT_NE(r.output.find("error: training diverged at step "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("The last good checkpoint is " + ck + " (written after "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Lower --lr (now 1000) or add --warmup steps"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/model.safetensors"));
  // The checkpoint loads (finite, consistent), resumes, and evaluates as a model.
  const Checkpoint c = load_checkpoint(ck);
  EXPECT_GE(c.step, 1);
  EXPECT_TRUE(all_finite(c.params));
  auto e = run_cli("eval " + ck + " --n 50 --json");
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_EQ(nlohmann::json::parse(e.output.substr(e.output.find('{'))).at("n_examples").get<int>(), 50);
}

TrainConfig small_config() {
  TrainConfig c = default_train_config("count01");
  c.steps = 40, c.batch = 32, c.eval_every = 10, c.eval_size = 50;
  return c;
}

TEST(Divergence, PoisonedBatchesStopWithStepAndCheckpoint) {
  const std::string dir = testing::temp_dir("poison-stop");
  TrainConfig cfg = small_config();
  Model<float> model(cfg.model);
  model.init(cfg.seed);
  TrainOptions opt;
  opt.progress = false;
  opt.out_dir = dir;
  opt.checkpoint_every = 10;
  opt.poison_step = [](int64_t step) { return step == 25; };
  try {
    train(cfg, opt, model);
    FAIL() << "a poisoned gradient must stop training";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("diverged at step 25"), std::string::npos) << m;
    EXPECT_NE(m.find(checkpoint_path(dir) + " (written after 20 steps"), std::string::npos) << m;
    EXPECT_NE(m.find("--skip-bad-batches"), std::string::npos) << m;
  }
  EXPECT_EQ(load_checkpoint(checkpoint_path(dir)).step, 20);
}

TEST(Divergence, SkipBadBatchesSkipsAndCounts) {
  TrainConfig cfg = small_config();
  Model<float> clean(cfg.model), skipped(cfg.model);
  clean.init(cfg.seed), skipped.init(cfg.seed);
  TrainOptions opt;
  opt.progress = false;
  train(cfg, opt, clean);
  opt.skip_bad_batches = true;
  opt.poison_step = [](int64_t step) { return step == 5 || step == 6 || step == 30; };
  const TrainResult r = train(cfg, opt, skipped);
  EXPECT_EQ(r.skipped_batches, 3);
  EXPECT_EQ(r.steps_done, 40);
  EXPECT_TRUE(all_finite(skipped.params()));
  EXPECT_NE(clean.params(), skipped.params());  // the skipped updates really were left out
}

TEST(Divergence, TooManyBadBatchesInARowGiveUp) {
  TrainConfig cfg = small_config();
  Model<float> model(cfg.model);
  model.init(cfg.seed);
  // NaN weights poison every batch: skipping cannot help.
  model.params()[0] = std::numeric_limits<float>::quiet_NaN();
  TrainOptions opt;
  opt.progress = false;
  opt.skip_bad_batches = true;
  opt.max_bad_in_a_row = 4;
  try {
    train(cfg, opt, model);
    FAIL() << "NaN weights must stop training";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("diverged at step 4: the loss is NaN (5 bad batches in a row"), std::string::npos) << m;
    EXPECT_NE(m.find("No checkpoint was written yet"), std::string::npos) << m;
  }
}

TEST(Divergence, AllFiniteSeesEveryNonFiniteValue) {
  std::vector<float> v(1000, 1.5f);
  EXPECT_TRUE(all_finite(v));
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    for (size_t i : {size_t(0), size_t(517), size_t(999)}) {
      auto w = v;
      w[i] = bad;
      EXPECT_FALSE(all_finite(w)) << bad << " at " << i;
    }
  }
  v[3] = std::numeric_limits<float>::max();
  v[4] = std::numeric_limits<float>::denorm_min();
  EXPECT_TRUE(all_finite(v));
}

}  // namespace reliability_divergence_test
}  // namespace hc
