// Training throughput: one full step (sample the batch, forward, backward,
// AdamW) on the two reference configurations, at 1 and 2 threads, and on the
// Max-of-List recipe with two layers (layer 1 takes the unfactored path).
//   build/bench_train --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

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

void BM_TrainStep_MaxOfList_Puzzle1a_B512(benchmark::State& s) { train_steps(s, "max-of-list"); }
void BM_TrainStep_Count01_D32H16E2_B256(benchmark::State& s) { train_steps(s, "count01"); }
void BM_TrainStep_MaxOfList_L2_B512(benchmark::State& s) { train_steps(s, "max-of-list", 2); }

BENCHMARK(BM_TrainStep_MaxOfList_Puzzle1a_B512)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStep_Count01_D32H16E2_B256)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStep_MaxOfList_L2_B512)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
