// --train-size: a fixed finite training set, drawn once from the seed and
// reshuffled every epoch; the same bits at any thread count and after a
// resume; accepted by `train` (the option table) and by sweep specs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <cstring>
#include <set>

#include "../cli/cli_util.hpp"  // temp_dir
#include "core/error.hpp"
#include "core/rng.hpp"
#include "sweep/options.hpp"
#include "sweep/spec.hpp"
#include "tasks/registry.hpp"
#include "train/checkpoint.hpp"
#include "train/options.hpp"
#include "train/train_data.hpp"
#include "train/trainer.hpp"

namespace hc {
namespace train_size_test {

std::string key(const Example& e) { return std::string(e.seq.begin(), e.seq.end()); }

TrainConfig small_config(int64_t train_size, int64_t steps) {
  TrainConfig c = default_train_config("count01");
  c.model.d_model = 8, c.model.n_heads = 4, c.model.d_head = 2;
  c.steps = steps, c.batch = 80, c.eval_every = steps, c.eval_size = 100, c.seed = 5;
  c.train_size = train_size;
  return c;
}

std::vector<float> train_weights(const TrainConfig& c, int threads) {
  Model<float> m(c.model);
  m.init(c.seed);
  TrainOptions o;
  o.threads = threads, o.progress = false;
  train(c, o, m);
  return m.params();
}

TEST(TrainSize, SetIsDrawnOnceFromTheSeedAndEachEpochCoversItOnce) {
  TaskConfig tc;
  tc.name = "count01";
  auto task = make_task(tc);
  TrainData data(*task, 7, 120);
  ASSERT_TRUE(data.fixed());
  ASSERT_EQ(data.set().size(), 120u);
  // The set is the task's training split drawn from the seed (same seed: same set).
  TrainData again(*task, 7, 120);
  for (size_t i = 0; i < 120; ++i) EXPECT_EQ(data.set()[i].seq, again.set()[i].seq);
  // Batches of 40: steps 0-2 are epoch 0, steps 3-5 epoch 1. Each epoch uses
  // every index of the set exactly once, in an order that differs by epoch.
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::multiset<std::string> seen;
    for (int s = 0; s < 3; ++s) {
      std::vector<Example> b;
      data.batch(epoch * 3 + s, 40, b);
      for (const auto& e : b) seen.insert(key(e));
    }
    std::multiset<std::string> want;
    for (const auto& e : data.set()) want.insert(key(e));
    EXPECT_EQ(seen, want) << "epoch " << epoch;
  }
  const auto o0 = data.epoch_order(0), o1 = data.epoch_order(1);
  EXPECT_NE(o0, o1);
  auto sorted = o0;
  std::sort(sorted.begin(), sorted.end());
  for (uint32_t i = 0; i < 120; ++i) EXPECT_EQ(sorted[i], i);
  // A batch straddling an epoch boundary (size 50: step 2 takes positions 100..149).
  std::vector<Example> b;
  data.batch(2, 50, b);
  for (int i = 0; i < 50; ++i) {
    const int pos = 100 + i;
    const auto& order = pos < 120 ? o0 : o1;
    EXPECT_EQ(b[size_t(i)].seq, data.set()[order[size_t(pos % 120)]].seq) << i;
  }
  // Another seed draws another set.
  TrainData other(*task, 8, 120);
  int same = 0;
  for (size_t i = 0; i < 120; ++i) same += other.set()[i].seq == data.set()[i].seq;
  EXPECT_LT(same, 120);
}

TEST(TrainSize, FreshSamplesAreTheDefaultAndTheSameAsBefore) {
  TaskConfig tc;
  tc.name = "count01";
  auto task = make_task(tc);
  TrainData data(*task, 3, 0);
  EXPECT_FALSE(data.fixed());
  std::vector<Example> b;
  data.batch(17, 8, b);
  Rng rng(3, 1000000 + 17);  // the trainer's stream for fresh batches, unchanged
  for (const auto& e : b) EXPECT_EQ(e.seq, task->sample(rng, Split::Train).seq);
}

TEST(TrainSize, WeightsAreBitIdenticalAtOneAndTwoThreadsAndDifferFromFreshSamples) {
  const TrainConfig c = small_config(100, 30);
  const auto w1 = train_weights(c, 1), w2 = train_weights(c, 2);
  ASSERT_EQ(w1.size(), w2.size());
  EXPECT_EQ(0, std::memcmp(w1.data(), w2.data(), w1.size() * sizeof(float)));
  EXPECT_NE(w1, train_weights(small_config(0, 30), 1));
  EXPECT_NE(w1, train_weights(small_config(200, 30), 1));
}

TEST(TrainSize, ResumedRunMatchesAnUninterruptedOne) {
  const TrainConfig c = small_config(100, 30);
  const auto ref = train_weights(c, 1);
  const std::string dir = testing::temp_dir("train_size_resume");
  Model<float> m(c.model);
  m.init(c.seed);
  std::atomic<bool> stop{false};
  TrainOptions o;
  o.progress = false, o.out_dir = dir, o.stop = &stop;
  int64_t seen = 0;
  o.snapshot_steps = {12};
  o.on_snapshot = [&](int64_t step, const Model<float>&) {
    seen = step;
    if (step == 12) stop = true;
  };
  const TrainResult r = train(c, o, m);
  ASSERT_TRUE(r.interrupted);
  ASSERT_EQ(r.steps_done, 12);
  const Checkpoint ck = load_checkpoint(checkpoint_path(dir));
  Model<float> m2(c.model);
  TrainOptions o2;
  o2.progress = false, o2.resume = &ck;
  train(c, o2, m2);
  EXPECT_EQ(m2.params(), ref);
  std::filesystem::remove_all(dir);
}

TEST(TrainSize, IsATrainOptionAndASweepKeyAndRoundTripsThroughConfigJson) {
  OptionValues v = {{"task", "count01"}, {"train-size", check_train_value(train_option("train-size", "test"), 500)}};
  const TrainConfig c = build_train_config(v);
  EXPECT_EQ(c.train_size, 500);
  EXPECT_EQ(train_config_from_json(to_json(c), "test").train_size, 500);
  // Fresh-sample configs do not carry the field (their config.json is unchanged).
  EXPECT_FALSE(to_json(default_train_config("count01")).contains("train_size"));
  const SweepSpec spec = parse_spec(R"({"task": "count01", "train_size": [1000, 0], "steps": 10})", "spec.json");
  const auto runs = expand(spec);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(config_from_options(runs[0].options, "spec.json").train_size, 1000);
  EXPECT_EQ(config_from_options(runs[1].options, "spec.json").train_size, 0);
  EXPECT_THROW(config_from_options(nlohmann::json{{"task", "count01"}, {"train-size", -1}}, "spec.json"), Error);
}

}  // namespace train_size_test
}  // namespace hc
