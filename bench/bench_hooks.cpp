// What hooks cost: the Full forward of one 256-example chunk of the
// Max-of-List reference shape (L1 D64 H4 E16) with no hook set (nullptr), with
// an empty hook set, and with one no-op hook on z; the Fast forward (no hook
// points, both loss rows, the training path) for scale. With nothing attached the Full forward must cost
// the same as with an empty set: hooks cost nothing when absent.
//   build/bench_hooks --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/batch.hpp"

namespace {

struct Setup {
  hc::Model<float> model{hc::ModelConfig{}};
  hc::Batch batch;
  std::vector<int32_t> rows;  // [B,1] the ANS position
  Setup() {
    model.init(1);
    auto task = hc::make_task(hc::TaskConfig{});
    const hc::Dataset ds = hc::generate(*task, hc::Split::Test, 256, 1, 1);
    batch = hc::make_batch(*task, ds.examples);
    for (const auto& ex : ds.examples) rows.push_back(ex.query_pos);
  }
};

Setup& get() {
  static Setup s;
  return s;
}

void run_full(benchmark::State& state, const hc::Hooks<float>* hooks) {
  Setup& s = get();
  hc::Activations<float> a;
  for (auto _ : state) {
    s.model.run_full(s.batch.tokens.data(), s.batch.B, s.rows.data(), 1, hooks, a);
    benchmark::DoNotOptimize(a.logits.data());
  }
  state.counters["examples/s"] = benchmark::Counter(double(state.iterations()) * s.batch.B, benchmark::Counter::kIsRate);
}

void BM_FullForward_NoHooks(benchmark::State& state) { run_full(state, nullptr); }
void BM_FullForward_EmptyHookSet(benchmark::State& state) {
  hc::Hooks<float> empty;
  run_full(state, &empty);
}
void BM_FullForward_NoOpHookOnZ(benchmark::State& state) {
  hc::Hooks<float> h;
  h.add({hc::Site::z, 0}, [](hc::HookView<float>& v) { benchmark::DoNotOptimize(v.data); });
  run_full(state, &h);
}
void BM_FastForward(benchmark::State& state) {
  Setup& s = get();
  std::vector<float> logits;
  for (auto _ : state) benchmark::DoNotOptimize(s.model.logits(s.batch, logits, 1));
  state.counters["examples/s"] = benchmark::Counter(double(state.iterations()) * s.batch.B, benchmark::Counter::kIsRate);
}

BENCHMARK(BM_FullForward_NoHooks)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FullForward_EmptyHookSet)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FullForward_NoOpHookOnZ)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FastForward)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
