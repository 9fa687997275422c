#pragma once
// The one driver for work split into independent jobs: chunks of examples
// through the forward pass (analyses), or axis points x chunks (the patch
// driver). Jobs run on up to `threads` threads (OpenMP, dynamic schedule, one
// job at a time); each job writes only its own slot of the results, so the
// results do not depend on the thread count. OpenMP cannot carry an exception
// out of a parallel region (it would end the program), so each job's
// exception is kept and the first one, by job index, is rethrown on the
// caller once every job has finished.
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <vector>

namespace hc {

// How many chunks of `size` cover n items (the last may be shorter).
inline int chunk_count(size_t n, size_t size) { return int((n + size - 1) / size); }

// fn(job) for job in [0, n_jobs).
template <class F>
void for_each_job(int n_jobs, int threads, F&& fn) {
  if (n_jobs <= 0) return;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n_jobs));
  const int t = std::max(1, std::min(threads, n_jobs));
#pragma omp parallel for schedule(dynamic, 1) num_threads(t)
  for (int j = 0; j < n_jobs; ++j) {
    try {
      fn(j);
    } catch (...) {
      errors[static_cast<size_t>(j)] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// fn(chunk, begin, end) for the chunks [begin, end) of [0, n), `size` items each.
template <class F>
void for_each_chunk(size_t n, size_t size, int threads, F&& fn) {
  for_each_job(chunk_count(n, size), threads, [&](int c) {
    const size_t b0 = size_t(c) * size;
    fn(c, b0, std::min(n, b0 + size));
  });
}

}  // namespace hc
