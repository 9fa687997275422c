#pragma once
// How big a sweep is before it starts: the grid's size (counted, not
// expanded), the disk its run directories take and, measured on one short
// training of a configuration, the time it takes. A grid over the limits
// below needs --yes; --dry-run prints the estimate and runs nothing.
#include <cstdint>
#include <string>

#include "sweep/spec.hpp"

namespace hc {

constexpr uint64_t kGridRunsNeedingYes = 10000;       // runs
constexpr double kGridBytesNeedingYes = 20e9;         // bytes of run directories
constexpr uint64_t kGridRunsLimit = 10000000;         // never: run indices are int

// Runs in the grid: the product of the list lengths times the seeds.
uint64_t grid_size(const SweepSpec& spec);
// Distinct configurations (the grid without seeds).
uint64_t grid_configurations(const SweepSpec& spec);

struct GridEstimate {
  uint64_t runs = 0, configurations = 0, invalid_sampled = 0, sampled = 0;
  double disk_bytes = 0;     // all run directories (model, checkpoint, logs, markers)
  double train_steps = 0;    // summed over runs (an upper bound with target-accuracy)
  bool target_accuracy = false;  // some runs may stop early
  // Measured (measure = true): seconds per training step of the first valid
  // configuration, on one thread, and the sweep's estimated wall time at `jobs`.
  double measured_step_s = 0;
  std::string measured_on;  // e.g. "run #0 (batch 256, 1280 parameters)"
  double seconds = 0;
};

// Looks at up to 2,000 configurations spread over the grid (all of them when
// fewer) and scales; `measure` trains the first valid one for 20 steps.
GridEstimate estimate_grid(const SweepSpec& spec, int jobs, bool measure);

// "12 runs (4 configurations x 3 seeds)", "1.3 MB", ...
std::string format_bytes(double bytes);

// Throws hc::Error naming the limits, the estimate and --dry-run / --yes if the
// grid is over kGridRunsNeedingYes or kGridBytesNeedingYes and !yes; refuses a
// grid over kGridRunsLimit whatever `yes` says.
void check_grid_size(const SweepSpec& spec, const GridEstimate& e, bool yes);

}  // namespace hc
