// MPI mode: `mpirun -np K headcount sweep SPEC --mpi`. Rank 0 hands out run
// indices one at a time as ranks become free (dynamic, so slow and fast runs
// balance) and collects outcomes; ranks 1..K-1 train. With one rank, rank 0
// runs everything itself.
#include <filesystem>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "sweep/lock.hpp"
#include "sweep/sweep.hpp"

#ifdef HC_HAVE_MPI
#include <mpi.h>
#endif

namespace hc {

#ifdef HC_HAVE_MPI

bool mpi_available() { return true; }

namespace {
enum Tag { kReady = 1, kResult = 2, kWork = 3 };

void send_string(const std::string& s, int dest, int tag) {
  MPI_Send(s.data(), int(s.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}
}  // namespace

SweepResults run_sweep_mpi(const SweepSpec& spec, const SweepOptions& opt, int argc, char** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  SweepResults res;
  if (size == 1) {
    res = run_sweep(spec, opt);
    MPI_Finalize();
    return res;
  }
  std::vector<RunSpec> runs = expand(spec);
  std::unique_ptr<SweepLock> lock;  // rank 0 holds --out's lock for the whole sweep
  std::string aside;
  if (rank == 0) {
    // Check the output directory before any rank trains: a bad --out stops everything.
    int ok = 1;
    std::string error;
    try {
      ensure_writable_dir(opt.out);
      lock = std::make_unique<SweepLock>(opt.out);
      aside = claim_output(spec, opt);
      if (!aside.empty()) lock = std::make_unique<SweepLock>(opt.out);
    } catch (const Error& e) {
      ok = 0;
      error = e.what();
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok) {
      MPI_Finalize();
      throw Error(error);
    }
    res.spec_digest = spec_digest(spec);
    res.columns = spec.columns();
    res.shard = 0, res.shards = 1, res.grid_runs = int64_t(runs.size());
    res.runs.resize(runs.size());
    SweepProgress progress(int(runs.size()), opt.progress, varying_options(spec));
    size_t next = 0;
    int active = size - 1;
    while (active > 0) {
      MPI_Status st;
      MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
      int len = 0;
      MPI_Get_count(&st, MPI_CHAR, &len);
      std::string msg(size_t(len), '\0');
      MPI_Recv(msg.data(), len, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (st.MPI_TAG == kResult) {
        RunOutcome o = run_outcome_from_json(nlohmann::json::parse(msg));
        o.skipped = nlohmann::json::parse(msg).value("skipped", false);
        o.seconds = nlohmann::json::parse(msg).value("seconds", 0.0);
        res.runs[size_t(o.index)] = o;
        progress.finished(o);
      }
      int work = -1;
      if (next < runs.size()) {
        work = int(next++);
        progress.started();
      } else {
        --active;
      }
      MPI_Send(&work, 1, MPI_INT, st.MPI_SOURCE, kWork, MPI_COMM_WORLD);
    }
    progress.close();
    write_file_atomic((std::filesystem::path(opt.out) / "spec.json").string(), spec_file_text(spec));
    write_results(opt.out, res);
    std::error_code ec;
    if (!aside.empty()) std::filesystem::remove_all(aside, ec);
  } else {
    int ok = 0;
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (ok) {
      send_string("", 0, kReady);
      while (true) {
        int work = -1;
        MPI_Recv(&work, 1, MPI_INT, 0, kWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (work < 0) break;
        RunOutcome o = execute_run(runs[size_t(work)], spec.analyses, opt.out);
        nlohmann::json j = to_json(o);
        j["skipped"] = o.skipped;
        j["seconds"] = o.seconds;
        send_string(j.dump(), 0, kResult);
      }
    }
  }
  MPI_Finalize();
  return res;
}

#else

bool mpi_available() { return false; }

SweepResults run_sweep_mpi(const SweepSpec&, const SweepOptions&, int, char**) {
  throw Error("this headcount was built without MPI: install OpenMPI (Debian: libopenmpi-dev openmpi-bin) and "
              "rebuild with scripts/setup.sh, or run the sweep with --jobs N or --shard i/n");
}

#endif

}  // namespace hc
