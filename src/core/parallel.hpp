#pragma once
// Runs independent jobs on a few threads (one core each): a model per job in
// sweeps and studies. Results must not depend on the thread count, so each
// job writes only its own slot; the first exception (by job index) is
// rethrown after every thread has joined.
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace hc {

template <class F>
void parallel_for(int n, int jobs, F&& fn) {
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n > 0 ? n : 0));
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int i; (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        errors[static_cast<size_t>(i)] = std::current_exception();
      }
    }
  };
  const int t = jobs < 1 ? 1 : (jobs > n ? (n > 0 ? n : 1) : jobs);
  std::vector<std::thread> pool;
  for (int k = 1; k < t; ++k) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace hc
