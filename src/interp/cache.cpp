#include "interp/cache.hpp"

#include "core/error.hpp"

namespace hc {

CachedPoint cache_get(const Activations<float>& a, const ModelConfig& c, const HookKey& key) {
  const int B = a.B, T = a.T, D = c.d_model, H = c.n_heads, E = c.d_head, V = c.d_vocab;
  auto need = [&](const std::vector<float>& buf, std::vector<int> shape) {
    if (buf.empty()) throw Error("hook point " + hook_name(key) + " is not in this cache (run a Full forward)");
    return CachedPoint{buf.data(), std::move(shape)};
  };
  if (key.site == Site::embed) return need(a.embed, {B, T, D});
  if (key.site == Site::pos_embed) return need(a.pos, {B, T, D});
  if (key.site == Site::logits) return need(a.logits, {B, a.Q, V});
  if (key.layer < 0 || key.layer >= int(a.layers.size()))
    throw Error("hook point " + hook_name(key) + ": layer out of range (the model has " +
                std::to_string(a.layers.size()) + " layers)");
  const LayerActs<float>& l = a.layers[key.layer];
  switch (key.site) {
    case Site::resid_pre: return need(l.x, {B, T, D});
    case Site::q: return need(l.q, {B, l.Q, H, E});
    case Site::k: return need(l.k, {B, T, H, E});
    case Site::v: return need(l.v, {B, T, H, E});
    case Site::attn_scores: return need(l.scores, {B, H, l.Q, T});
    case Site::pattern: return need(l.pattern, {B, H, l.Q, T});
    case Site::z: return need(l.z, {B, l.Q, H, E});
    case Site::result: return need(l.result, {B, l.Q, H, D});
    case Site::attn_out: return need(l.attn_out, {B, l.Q, D});
    case Site::resid_post: return need(l.resid_post, {B, l.Q, D});
    default: break;
  }
  throw Error("unknown hook point");
}

Activations<float> run_with_cache(const Model<float>& m, const int32_t* tokens, int B, const int32_t* rows, int Q,
                                  const Hooks<float>* hooks) {
  Activations<float> a;
  m.run_full(tokens, B, rows, Q, hooks, a);
  return a;
}

Activations<float> run_at_queries(const Model<float>& m, const Dataset& data, size_t b0, size_t b1,
                                  const Hooks<float>* hooks) {
  const int T = m.config().n_ctx;
  std::vector<int32_t> tokens, rows;
  tokens.reserve((b1 - b0) * size_t(T));
  rows.reserve(b1 - b0);
  for (size_t i = b0; i < b1; ++i) {
    const Example& ex = data.examples[i];
    // Checked here, where every analysis at the query gathers its inputs: a
    // data set of another task or shape must not read past an example.
    if (int(ex.seq.size()) < T || ex.query_pos < 0 || ex.query_pos >= T)
      throw Error("example " + std::to_string(i + 1) + " of '" + data.source + "' does not fit the model: " +
                  std::to_string(ex.seq.size()) + " tokens with the query at position " + std::to_string(ex.query_pos) +
                  ", but the model reads " + std::to_string(T) +
                  " (the data set and the model are of different tasks or settings)");
    tokens.insert(tokens.end(), ex.seq.begin(), ex.seq.begin() + T);
    rows.push_back(ex.query_pos);
  }
  return run_with_cache(m, tokens.data(), int(b1 - b0), rows.data(), 1, hooks);
}

}  // namespace hc
