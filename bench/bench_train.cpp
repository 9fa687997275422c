// Training throughput: one full step (sample the batch, forward, backward,
// AdamW) on the two reference configurations, at 1 and 2 threads, and on the
// two-layer puzzle recipe shapes (folded path, and the plain path for the
// ratio; second argument 1 = folded, 0 = plain).
//   build/bench_train --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "core/rng.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/adamw.hpp"
#include "train/batch.hpp"
#include "train/trainer.hpp"

namespace {

void train_steps(benchmark::State& state, const std::string& task_name, int layers = 1) {
  hc::TrainConfig cfg = hc::default_train_config(task_name);  // puzzle 1a / paper main config
  cfg.model.n_layers = layers;
  auto task = hc::make_task(cfg.task);
  hc::Model<float> model(cfg.model);
  model.init(1);
  hc::AdamW adam(cfg.opt, model.params().size());
  std::vector<float> grad;
  std::vector<hc::Example> examples(size_t(cfg.batch));
  const int threads = int(state.range(0));
  int64_t step = 0;
  for (auto _ : state) {
    hc::Rng rng(cfg.seed, 1000000 + uint64_t(step));
    for (auto& ex : examples) ex = task->sample(rng, hc::Split::Train);
    const hc::Batch batch = hc::make_batch(*task, examples);
    double loss = model.loss_and_grad(batch, grad, threads);
    adam.step(model.params().data(), grad.data(), cfg.opt.lr);
    benchmark::DoNotOptimize(loss);
    ++step;
  }
  state.counters["steps/s"] = benchmark::Counter(double(step), benchmark::Counter::kIsRate);
  state.counters["batch"] = cfg.batch;
}

// A two-layer recipe shape on a synthetic batch: uniform random tokens, loss
// at the given positions with uniform random targets. Same T, V, loss rows and
// model as the puzzle recipe, so the same work per step as the real task.
struct TwoLayerShape {
  int D, H, E, V, T;
  bool pos;
  std::vector<int> loss_positions;
};

void two_layer_steps(benchmark::State& state, const TwoLayerShape& s) {
  hc::ModelConfig mc;
  mc.n_layers = 2;
  mc.d_model = s.D;
  mc.n_heads = s.H;
  mc.d_head = s.E;
  mc.d_vocab = s.V;
  mc.n_ctx = s.T;
  mc.pos_embed = s.pos;
  mc.biases = false;
  hc::Model<float> model(mc);
  model.init(1);
  model.set_folded(state.range(1) != 0);
  hc::AdamWConfig opt;  // lr 1e-3, weight decay 0.01
  hc::AdamW adam(opt, model.params().size());
  std::vector<float> grad;
  const int B = 512, P = int(s.loss_positions.size());
  hc::Batch batch;
  batch.B = B;
  batch.T = s.T;
  batch.P = P;
  batch.tokens.resize(size_t(B) * s.T);
  batch.targets.resize(size_t(B) * P);
  for (int b = 0; b < B; ++b) batch.rows.insert(batch.rows.end(), s.loss_positions.begin(), s.loss_positions.end());
  const int threads = int(state.range(0));
  int64_t step = 0;
  for (auto _ : state) {
    hc::Rng rng(1, 1000000 + uint64_t(step));
    for (auto& t : batch.tokens) t = int32_t(rng.below(s.V));
    for (auto& t : batch.targets) t = int32_t(rng.below(s.V));
    double loss = model.loss_and_grad(batch, grad, threads);
    adam.step(model.params().data(), grad.data(), opt.lr);
    benchmark::DoNotOptimize(loss);
    ++step;
  }
  state.counters["steps/s"] = benchmark::Counter(double(step), benchmark::Counter::kIsRate);
  state.counters["batch"] = B;
}

// count-unique recipe: L2 D32 H4 E8, no positions, V 22, BOS + 10 symbols + ANS, loss at ANS.
void BM_TrainStep_CountUniqueShape_L2_B512(benchmark::State& st) {
  two_layer_steps(st, {32, 4, 8, 22, 12, false, {11}});
}
// puzzle-1b recipe: L2 D64 H4 E16, learned positions, V 14, 18 positions, loss at the last three.
void BM_TrainStep_Puzzle1bShape_L2_B512(benchmark::State& st) {
  two_layer_steps(st, {64, 4, 16, 14, 18, true, {15, 16, 17}});
}

void BM_TrainStep_MaxOfList_Puzzle1a_B512(benchmark::State& s) { train_steps(s, "max-of-list"); }
void BM_TrainStep_Count01_D32H16E2_B256(benchmark::State& s) { train_steps(s, "count01"); }
void BM_TrainStep_MaxOfList_L2_B512(benchmark::State& s) { train_steps(s, "max-of-list", 2); }

BENCHMARK(BM_TrainStep_MaxOfList_Puzzle1a_B512)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStep_Count01_D32H16E2_B256)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStep_MaxOfList_L2_B512)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStep_CountUniqueShape_L2_B512)->ArgsProduct({{1, 2}, {1, 0}})->ArgNames({"threads", "folded"})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStep_Puzzle1bShape_L2_B512)->ArgsProduct({{1, 2}, {1, 0}})->ArgNames({"threads", "folded"})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
