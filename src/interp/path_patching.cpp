#include "interp/path_patching.hpp"

#include <limits>
#include <memory>

#include "core/error.hpp"

namespace hc {

namespace {

void check_head(const ModelConfig& c, const char* role, int layer, int head) {
  if (layer < 0 || layer >= c.n_layers)
    throw Error(std::string("the ") + role + "'s layer " + std::to_string(layer) + " is out of range: this model has " +
                std::to_string(c.n_layers) + " layer(s), numbered from 0" +
                (c.n_layers < 2 ? " (path patching needs a model with at least 2 layers)" : ""));
  if (head < 0 || head >= c.n_heads)
    throw Error(std::string("the ") + role + "'s head " + std::to_string(head) + " is out of range: this model has " +
                std::to_string(c.n_heads) + " heads per layer, numbered from 0");
}

}  // namespace

std::vector<float> path_patch_logits(const Model<float>& model, const Dataset& clean, const Dataset& corrupted,
                                     int sender_layer, int sender_head, int receiver_layer, int receiver_head,
                                     CompositionKind input, int threads) {
  const ModelConfig& c = model.config();
  check_head(c, "receiver", receiver_layer, receiver_head);
  check_head(c, "sender", sender_layer, sender_head);
  if (receiver_layer <= sender_layer)
    throw Error("the receiver (layer " + std::to_string(receiver_layer) + ") must be in a later layer than the sender "
                "(layer " + std::to_string(sender_layer) + "): a head reads only what earlier layers wrote");
  check_pairs(clean, corrupted);
  const HookKey key{Site::result, sender_layer};
  auto ours = std::make_shared<const SourceActs>(capture_source(model, clean, clean, key, threads));
  auto theirs = std::make_shared<const SourceActs>(capture_source(model, corrupted, clean, key, threads));
  const int H = c.n_heads, D = c.d_model, E = c.d_head, T = c.n_ctx;
  const ParamKind wk = input == CompositionKind::q ? ParamKind::W_Q
                       : input == CompositionKind::k ? ParamKind::W_K
                                                      : ParamKind::W_V;
  const float* W = model.param(wk, receiver_layer) + size_t(receiver_head) * D * E;  // [D,E]
  const Site site = input == CompositionKind::q ? Site::q : input == CompositionKind::k ? Site::k : Site::v;
  const size_t per = ours->per_example;  // [T,H,D]
  const Setter setter = [=](int, const Chunk& ch, Hooks<float>& hooks) {
    const size_t begin = ch.begin;
    hooks.add({site, receiver_layer}, [=](HookView<float>& v) {  // [B,rows,H,E]
      const int B = v.shape[0], R = v.shape[1];
      std::vector<double> delta(static_cast<size_t>(D));
      for (int b = 0; b < B; ++b)
        for (int r = 0; r < R; ++r) {
          const int t = v.query_rows[size_t(b) * R + r];
          if (t < 0 || t >= T) continue;
          const size_t off = (begin + size_t(b)) * per + (size_t(t) * H + size_t(sender_head)) * D;
          for (int d = 0; d < D; ++d) delta[size_t(d)] = double(theirs->values[off + d]) - double(ours->values[off + d]);
          float* out = v.data + ((size_t(b) * R + r) * H + size_t(receiver_head)) * E;
          for (int e = 0; e < E; ++e) {
            double s = 0;
            for (int d = 0; d < D; ++d) s += delta[size_t(d)] * double(W[size_t(d) * E + e]);
            out[e] += float(s);
          }
        }
    });
  };
  return patch_logits(model, clean, setter, 0, threads);
}

PathPatchingResult path_patching(const Model<float>& model, const Dataset& clean, const Dataset& corrupted,
                                 PatchMetric metric, int threads) {
  const ModelConfig& c = model.config();
  if (c.n_layers < 2)
    throw Error("path patching needs a model with at least 2 layers (a receiver head reads what an earlier "
                "layer's sender wrote); this model has 1 layer");
  ActPatcher p(model, clean, corrupted, metric, threads);
  PathPatchingResult r;
  r.L = c.n_layers;
  r.H = c.n_heads;
  r.metric = metric;
  r.clean = p.clean_value();
  r.corrupted = p.corrupted_value();
  r.pairs = p.size();
  const int F = r.L * r.H;
  r.values.assign(size_t(F) * F * 3, std::numeric_limits<double>::quiet_NaN());
  for (int s = 0; s < F; ++s)
    for (int q = 0; q < F; ++q) {
      if (q / r.H <= s / r.H) continue;
      for (int k = 0; k < 3; ++k)
        r.values[(size_t(s) * F + q) * 3 + k] = p.metric(path_patch_logits(
            model, clean, corrupted, s / r.H, s % r.H, q / r.H, q % r.H, CompositionKind(k), threads));
    }
  return r;
}

}  // namespace hc
