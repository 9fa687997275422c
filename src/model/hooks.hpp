#pragma once
// Hook points: the activation buffers the forward pass writes, keyed by a
// typed (site, layer) pair and printed with TransformerLens names. A hook is a
// callback that may read or edit a buffer after it is written and before it is
// read. Hooks are passed to one forward call and live exactly that long.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hc {

enum class Site {
  embed,        // hook_embed            [B, T, D]
  pos_embed,    // hook_pos_embed        [B, T, D]
  resid_pre,    // blocks.l.hook_resid_pre   [B, T, D]
  q,            // blocks.l.attn.hook_q      [B, Q, H, E]
  k,            // blocks.l.attn.hook_k      [B, T, H, E]
  v,            // blocks.l.attn.hook_v      [B, T, H, E]
  attn_scores,  // blocks.l.attn.hook_attn_scores [B, H, Q, T] (masked = -inf)
  pattern,      // blocks.l.attn.hook_pattern     [B, H, Q, T]
  z,            // blocks.l.attn.hook_z      [B, Q, H, E]
  result,       // blocks.l.attn.hook_result [B, Q, H, D]
  attn_out,     // blocks.l.hook_attn_out    [B, Q, D]
  resid_post,   // blocks.l.hook_resid_post  [B, Q, D]
  logits,       // logits                    [B, Q, V]
};
// Q is the number of query rows: T for a full forward, or the selected
// positions (e.g. the loss positions) in the last layer.

struct HookKey {
  Site site;
  int layer = -1;  // -1 for embed, pos_embed and logits
  bool operator==(const HookKey& o) const { return site == o.site && layer == o.layer; }
};

std::string hook_name(const HookKey& key);  // "blocks.0.attn.hook_pattern"
// Parses a TransformerLens hook name; throws hc::Error listing valid names.
HookKey parse_hook_name(const std::string& name, int n_layers);
// Every hook point of a model with n_layers layers, in forward order.
std::vector<HookKey> all_hook_keys(int n_layers);

// A view of one hook point's buffer for one batch chunk.
template <class S>
struct HookView {
  S* data;
  std::vector<int> shape;  // e.g. {B, H, Q, T}
  const int32_t* query_rows;  // [B, Q]: which input position each query row is
  int64_t numel() const {
    int64_t n = 1;
    for (int s : shape) n *= s;
    return n;
  }
};

template <class S>
struct Hooks {
  struct Entry {
    HookKey key;
    std::function<void(HookView<S>&)> fn;
  };
  std::vector<Entry> entries;
  // Called with (key, view) for every hook point, after it is written (the
  // activation cache uses this to copy buffers out).
  std::function<void(const HookKey&, const HookView<S>&)> observer;

  void add(HookKey key, std::function<void(HookView<S>&)> fn) { entries.push_back({key, std::move(fn)}); }
  bool empty() const { return entries.empty() && !observer; }
  void fire(const HookKey& key, HookView<S>& view) const {
    for (const auto& e : entries)
      if (e.key == key) e.fn(view);
    if (observer) observer(key, view);
  }
};

}  // namespace hc
