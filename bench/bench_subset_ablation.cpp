// Exhaustive subset ablation over all heads of a two-layer model (issue 15):
// the 256 sets of ablated heads of an 8-head (2 layers x 4 heads) model of
// puzzle 1b's shape (D 64, E 16, learned positions, 18 positions) on 2,000
// generated 1b examples, the whole call (means or resample sources, the
// forward, every subset, per-class tallies). Target: <= 5 s on 2 cores.
//   build/bench_subset_ablation --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "interp/subset_ablation.hpp"

namespace {

struct Fixture {
  std::unique_ptr<hc::Task> task;
  std::unique_ptr<hc::Model<float>> model;
  hc::Dataset data;
  Fixture() {
    hc::TaskConfig tc;
    tc.name = "max-of-list-digits";
    task = hc::make_task(tc);
    const hc::Recipe r = task->recipe();
    hc::ModelConfig c;
    c.n_layers = 2;
    c.d_model = r.d_model;
    c.n_heads = r.n_heads;
    c.d_head = r.d_head;
    c.pos_embed = r.pos_embed;
    c.d_vocab = task->vocab_size();
    c.n_ctx = task->n_ctx();
    model = std::make_unique<hc::Model<float>>(c);
    model->init(1);
    data = hc::generate(*task, hc::Split::Test, 2000, 1, 1);
  }
};

const Fixture& get() {
  static Fixture f;
  return f;
}

void BM_AllSubsets_TwoLayer_H8_N2000(benchmark::State& state) {
  const auto& f = get();
  const auto mode = hc::AblationMode(state.range(0));
  const int threads = int(state.range(1));
  size_t masks = 0;
  for (auto _ : state) {
    const hc::SubsetAblation s = hc::subset_ablation(*f.model, f.data, mode, threads);
    masks = s.correct.size();
    benchmark::DoNotOptimize(s.correct.data());
  }
  state.counters["subsets"] = double(masks);
  state.counters["examples"] = double(f.data.examples.size());
  state.SetLabel(hc::mode_name(mode));
}

// The test oracle for comparison: one hooked forward per subset.
void BM_AllSubsets_TwoLayer_H8_N2000_Hooked(benchmark::State& state) {
  const auto& f = get();
  for (auto _ : state)
    benchmark::DoNotOptimize(hc::subset_ablation(*f.model, f.data, hc::AblationMode::zero, 2, nullptr, true));
}

}  // namespace

BENCHMARK(BM_AllSubsets_TwoLayer_H8_N2000_Hooked)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_AllSubsets_TwoLayer_H8_N2000)
    ->ArgsProduct({{int(hc::AblationMode::zero), int(hc::AblationMode::mean), int(hc::AblationMode::resample)}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
