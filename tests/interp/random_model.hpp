#pragma once
// A random model for the analyses' invariant tests: learned positions, biases
// on and set to random values (they start at 0), so that every part (embed,
// pos, heads, biases) is exercised.
#include <cstdint>

#include "core/rng.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc::testing {

inline Model<float> random_biased_model(const Task& task, int layers, int d_model, uint64_t seed) {
  ModelConfig c;
  c.n_layers = layers;
  c.d_model = d_model;
  c.n_heads = 3;
  c.d_head = 4;
  c.d_vocab = task.vocab_size();
  c.n_ctx = task.n_ctx();
  c.pos_embed = true;
  c.biases = true;
  c.init_std = 0.5;
  Model<float> m(c);
  m.init(seed);
  Rng r(seed + 1);
  for (const auto& e : m.table().entries())
    if (e.kind == ParamKind::b_Q || e.kind == ParamKind::b_K || e.kind == ParamKind::b_V ||
        e.kind == ParamKind::b_O || e.kind == ParamKind::b_U)
      for (size_t i = 0; i < e.size; ++i) m.params()[e.offset + i] = float(0.3 * r.normal());
  return m;
}

}  // namespace hc::testing
