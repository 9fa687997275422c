// Subset ablation: all 65,536 sets of ablated heads of the 16-head Count01
// fixture (../shared/fixtures/count01_tl.safetensors, or tests/data) on its
// 4,000 test examples, by the linear Gray-code walk. Target: <= 5 s on 2 cores.
// The precompute (one hooked forward over the data) is timed separately.
//   build/bench_ablation --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <filesystem>

#include "interp/ablation.hpp"
#include "interp/ablation_linear.hpp"
#include "io/layouts.hpp"

namespace {

// The repository root from this file's path (the build passes absolute paths).
std::string fixture(const std::string& name) {
  const std::string root = std::filesystem::path(__FILE__).parent_path().parent_path().string();
  const std::string shared = root + "/../shared/fixtures/" + name;
  return std::filesystem::exists(shared) ? shared : root + "/tests/data/" + name;
}

struct Count01Fixture {
  std::unique_ptr<hc::Task> task;
  std::unique_ptr<hc::Model<float>> model;
  hc::Dataset data;
  Count01Fixture() {
    hc::TaskConfig tc;
    tc.name = "count01";
    task = hc::make_task(tc);
    hc::LoadedWeights w = hc::load_weights(fixture("count01_tl.safetensors"), std::nullopt,
                                           hc::ModelHints{task->n_ctx(), task->vocab_size(), task->name()});
    model = std::make_unique<hc::Model<float>>(w.config);
    model->params() = std::move(w.params);
    data = hc::load_text(*task, fixture("count01_tl.test.txt"));
  }
};

const Count01Fixture& get() {
  static Count01Fixture f;
  return f;
}

void BM_AllSubsets_Count01_H16_N4000(benchmark::State& state) {
  const auto& f = get();
  const int threads = int(state.range(0));
  const hc::AblationRefs refs = hc::ablation_refs(*f.model, hc::AblationMode::zero, f.data, f.data, threads);
  const hc::LinearContribs lc = hc::linear_contribs(*f.model, f.data, refs, threads);
  for (auto _ : state) benchmark::DoNotOptimize(hc::all_subsets_accuracy(lc, threads));
  state.counters["subsets"] = double(size_t(1) << lc.H);
  state.counters["examples"] = lc.N;
}

void BM_LinearPrecompute_Count01_N4000(benchmark::State& state) {
  const auto& f = get();
  const int threads = int(state.range(0));
  const hc::AblationRefs refs = hc::ablation_refs(*f.model, hc::AblationMode::zero, f.data, f.data, threads);
  for (auto _ : state) benchmark::DoNotOptimize(hc::linear_contribs(*f.model, f.data, refs, threads));
}

BENCHMARK(BM_AllSubsets_Count01_H16_N4000)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LinearPrecompute_Count01_N4000)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
