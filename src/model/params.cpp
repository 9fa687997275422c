#include "model/params.hpp"

#include <stdexcept>

namespace hc {

std::string param_kind_name(ParamKind k) {
  switch (k) {
    case ParamKind::W_E: return "W_E";
    case ParamKind::W_pos: return "W_pos";
    case ParamKind::W_Q: return "W_Q";
    case ParamKind::W_K: return "W_K";
    case ParamKind::W_V: return "W_V";
    case ParamKind::W_O: return "W_O";
    case ParamKind::b_Q: return "b_Q";
    case ParamKind::b_K: return "b_K";
    case ParamKind::b_V: return "b_V";
    case ParamKind::b_O: return "b_O";
    case ParamKind::W_U: return "W_U";
    case ParamKind::b_U: return "b_U";
  }
  return "?";
}

ParamTable::ParamTable(const ModelConfig& c) {
  auto add = [&](ParamKind kind, int layer, std::string name, std::vector<int64_t> shape) {
    size_t n = 1;
    for (auto s : shape) n *= size_t(s);
    entries_.push_back({kind, layer, std::move(name), std::move(shape), total_, n});
    total_ += n;
  };
  const int64_t V = c.d_vocab, D = c.d_model, T = c.n_ctx, H = c.n_heads, E = c.d_head;
  add(ParamKind::W_E, -1, "embed.W_E", {V, D});
  if (c.pos_embed) add(ParamKind::W_pos, -1, "pos_embed.W_pos", {T, D});
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".attn.";
    add(ParamKind::W_Q, l, p + "W_Q", {H, D, E});
    add(ParamKind::W_K, l, p + "W_K", {H, D, E});
    add(ParamKind::W_V, l, p + "W_V", {H, D, E});
    add(ParamKind::W_O, l, p + "W_O", {H, E, D});
    if (c.biases) {
      add(ParamKind::b_Q, l, p + "b_Q", {H, E});
      add(ParamKind::b_K, l, p + "b_K", {H, E});
      add(ParamKind::b_V, l, p + "b_V", {H, E});
      add(ParamKind::b_O, l, p + "b_O", {D});
    }
  }
  add(ParamKind::W_U, -1, "unembed.W_U", {D, V});
  if (c.biases) add(ParamKind::b_U, -1, "unembed.b_U", {V});
}

const ParamInfo& ParamTable::get(ParamKind kind, int layer) const {
  for (const auto& e : entries_)
    if (e.kind == kind && e.layer == layer) return e;
  throw std::out_of_range("model has no parameter " + param_kind_name(kind) + " at layer " +
                          std::to_string(layer));
}

bool ParamTable::has(ParamKind kind, int layer) const {
  for (const auto& e : entries_)
    if (e.kind == kind && e.layer == layer) return true;
  return false;
}

const ParamInfo* ParamTable::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace hc
