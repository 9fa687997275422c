#pragma once
// Running a sweep: N runs at once on one machine (one core each), a
// deterministic shard of the grid (for Slurm job arrays), or MPI ranks with
// rank 0 handing out runs. The results do not depend on how runs were spread.
#include <string>

#include "sweep/results.hpp"
#include "sweep/spec.hpp"

namespace hc {

struct SweepOptions {
  std::string out;
  int jobs = 1;
  int shard = 0, shards = 1;  // run the runs whose index % shards == shard
  bool progress = true;
  // --out already holds a sweep of another spec: replace it whole (moved aside,
  // removed once the new sweep has written its results) instead of refusing.
  bool force = false;
};

// Parses "i/n" (0 <= i < n); throws hc::Error with an example otherwise.
void parse_shard(const std::string& text, int& shard, int& shards);

std::string spec_digest(const SweepSpec& spec);
// The options that differ between runs (list-valued ones, and seed if several).
std::vector<std::string> varying_options(const SweepSpec& spec);

// Checks the output directory, locks it (sweep/lock.hpp), runs the sweep's
// (shard of) runs, and writes the results into opt.out. The same spec on the
// same --out resumes; another spec there is refused unless opt.force.
SweepResults run_sweep(const SweepSpec& spec, const SweepOptions& opt);

// The same under MPI (mpirun -np K): rank 0 hands out runs dynamically and
// writes the results; the other ranks train. Returns the results on rank 0.
SweepResults run_sweep_mpi(const SweepSpec& spec, const SweepOptions& opt, int argc, char** argv);
bool mpi_available();

// Makes opt.out ready for `spec` while holding its lock: refuses (or with
// opt.force moves aside) a directory that holds another spec's sweep or files
// that are not a sweep's. Returns the moved-aside directory to remove once the
// new results are written, or "".
std::string claim_output(const SweepSpec& spec, const SweepOptions& opt);
// spec.json's content for a spec.
std::string spec_file_text(const SweepSpec& spec);

// Progress lines shared by both runners.
class SweepProgress {
 public:
  // `shown`: the options worth printing per run (those that vary).
  SweepProgress(int total, bool enabled, std::vector<std::string> shown = {});
  void started();
  void finished(const RunOutcome& o);
  void close();

 private:
  int total_, done_ = 0, failed_ = 0, running_ = 0;
  std::vector<std::string> shown_;
  bool enabled_, tty_;
  double start_;
};

}  // namespace hc
