#pragma once
// The activation cache is simply the activation buffers of a Full forward,
// kept. This gives typed access to one hook point's buffer and its shape.
#include <vector>

#include "model/hooks.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct CachedPoint {
  const float* data;
  std::vector<int> shape;  // as in hooks.hpp, e.g. pattern {B, H, Q, T}
};

// Throws hc::Error if the point was not written (e.g. hook_result in Fast mode).
CachedPoint cache_get(const Activations<float>& a, const ModelConfig& c, const HookKey& key);

// Runs a Full forward and returns the cache. rows [B,Q] selects the query rows
// of the last layer (nullptr: all positions).
Activations<float> run_with_cache(const Model<float>& m, const int32_t* tokens, int B, const int32_t* rows, int Q,
                                  const Hooks<float>* hooks = nullptr);

// A Full forward of examples [b0, b1) of `data` (their first n_ctx tokens),
// with the last layer's one query row at each example's query position: the
// forward every analysis at the query runs, chunk by chunk.
Activations<float> run_at_queries(const Model<float>& m, const Dataset& data, size_t b0, size_t b1,
                                  const Hooks<float>* hooks = nullptr);

}  // namespace hc
