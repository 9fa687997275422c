#include "io/layouts.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/weights_file.hpp"
#include "model/params.hpp"

namespace hc {

namespace {

constexpr const char* kConfigKey = "headcount.model_config";

std::string layout_shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string list_names(const std::vector<std::string>& names, size_t max = 8) {
  std::string r;
  for (size_t i = 0; i < names.size() && i < max; ++i) r += (i ? ", " : "") + names[i];
  if (names.size() > max) r += ", ... (" + std::to_string(names.size()) + " in all)";
  return r;
}

// "<prefix><int>.<rest>" with the int written canonically -> (int, rest); else -1.
int split_index(const std::string& name, const std::string& prefix, std::string& rest) {
  if (name.rfind(prefix, 0) != 0) return -1;
  size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos) return -1;
  std::string num = name.substr(prefix.size(), dot - prefix.size());
  if (num.empty() || num.size() > 4 || !std::all_of(num.begin(), num.end(), [](char c) { return c >= '0' && c <= '9'; })) return -1;
  if (std::to_string(std::stoi(num)) != num) return -1;  // no "01"
  rest = name.substr(dot + 1);
  return std::stoi(num);
}

// Layer (or head) ids must be exactly 0..n-1; returns n.
int contiguous_count(const std::set<int>& ids, const st::File& f, const std::string& what) {
  int n = ids.empty() ? 0 : *ids.rbegin() + 1;
  if (int(ids.size()) != n)
    throw Error(f.source + ": " + what + " numbers are not contiguous from 0 (found " +
                std::to_string(ids.size()) + " of 0.." + std::to_string(n - 1) + "); the file is incomplete");
  return n;
}

const st::Tensor& expect(const st::File& f, const std::string& name, const std::vector<int64_t>& shape,
                         const std::string& why) {
  const st::Tensor& t = f.get(name);
  if (t.shape != shape)
    throw Error(f.source + ": tensor '" + name + "' has shape " + layout_shape_str(t.shape) + " but " +
                layout_shape_str(shape) + " was expected (" + why + ")");
  return t;
}

std::vector<float> float_values(const st::File& f, const st::Tensor& t) {
  if (!st::dtype_is_float(t.dtype))
    throw Error(f.source + ": tensor '" + t.name + "' has dtype " + st::dtype_name(t.dtype) +
                "; weights must be F32, F64, F16 or BF16");
  return t.to_f32();
}

bool all_zero(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return x == 0.0f; });
}

int64_t dim(const st::File& f, const st::Tensor& t, size_t rank, size_t i) {
  if (t.shape.size() != rank)
    throw Error(f.source + ": tensor '" + t.name + "' has shape " + layout_shape_str(t.shape) + " but a rank-" +
                std::to_string(rank) + " tensor was expected");
  return t.shape[i];
}

// Dimensions read from shapes must fit the config's ints before they are stored
// (ModelConfig::validate then applies the real limits).
void check_dims(const st::File& f, std::initializer_list<std::pair<const char*, int64_t>> dims) {
  for (const auto& [name, v] : dims)
    if (v < 1 || v > (1 << 30))
      throw Error(f.source + ": the tensor shapes give " + name + " = " + std::to_string(v) +
                  ", which no model can have; the file is corrupt or not a headcount-compatible model");
}

// Checks the task's expectations and fills n_ctx where the file cannot say it.
void apply_hints(const st::File& f, ModelConfig& cfg, const ModelHints& h, std::vector<std::string>& notes) {
  const std::string task = h.task_name.empty() ? "the task" : "task " + h.task_name;
  if (h.d_vocab && *h.d_vocab != cfg.d_vocab)
    throw Error("weights in " + f.source + " have a vocabulary of " + std::to_string(cfg.d_vocab) +
                " tokens but " + task + " has " + std::to_string(*h.d_vocab) +
                "; pass the --task these weights were trained for, or the right weights");
  if (h.n_ctx && *h.n_ctx > cfg.n_ctx) {
    if (cfg.pos_embed)
      throw Error("weights in " + f.source + " have a positional embedding for " + std::to_string(cfg.n_ctx) +
                  " positions but " + task + " needs " + std::to_string(*h.n_ctx) +
                  "; pass the --task these weights were trained for, or the right weights");
    notes.push_back("no positional embedding: context length raised from " + std::to_string(cfg.n_ctx) +
                    " to " + std::to_string(*h.n_ctx) + " for " + task);
    cfg.n_ctx = *h.n_ctx;
  }
}

void validate_in(const st::File& f, const ModelConfig& cfg) {
  try {
    cfg.validate();
  } catch (const Error& e) {
    throw Error(f.source + ": " + e.what());
  }
}

LoadedWeights load_native(const st::File& f, const ModelHints& hints) {
  LoadedWeights out;
  out.layout = Layout::Native;
  out.metadata = f.metadata;
  static const std::set<std::string> kTop = {"embed.W_E", "pos_embed.W_pos", "unembed.W_U", "unembed.b_U"};
  static const std::set<std::string> kAttn = {"W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O"};
  std::set<int> layers;
  std::vector<std::string> extras, ignored, ours;
  bool optimizer = false;
  for (const auto& t : f.tensors) {
    std::string rest;
    int l = split_index(t.name, "blocks.", rest);
    if (kTop.count(t.name) || (l >= 0 && rest.rfind("attn.", 0) == 0 && kAttn.count(rest.substr(5)))) {
      if (l >= 0) layers.insert(l);
      ours.push_back(t.name);
    } else if (ends_with(t.name, ".mask") || ends_with(t.name, ".IGNORE")) {
      ignored.push_back(t.name);  // TransformerLens buffers (causal mask, -inf fill), not weights
    } else if (t.name == "adam.m" || t.name == "adam.v") {
      optimizer = true;  // a training checkpoint: the weights are usable on their own
    } else {
      extras.push_back(t.name);
    }
  }
  if (!extras.empty())
    throw Error(f.source + ": tensors that an attention-only TransformerLens model does not have: " +
                list_names(extras) + " (MLPs and LayerNorm are not supported; is this the right file or --layout?)");
  if (!ignored.empty()) out.notes.push_back("ignored TransformerLens buffers: " + list_names(ignored));
  if (optimizer) out.notes.push_back("ignored the optimizer state (adam.m, adam.v) of this training checkpoint");
  const int L = contiguous_count(layers, f, "layer (blocks.{l})");
  if (L == 0) f.get("blocks.0.attn.W_Q");  // throws, naming the missing tensor

  // Dimensions: V, D from W_E [V,D]; H, E from W_Q [H,D,E]; T from W_pos [T,D].
  const st::Tensor& we = f.get("embed.W_E");
  const int64_t V = dim(f, we, 2, 0), D = we.shape[1];
  const st::Tensor& wq = f.get("blocks.0.attn.W_Q");
  const int64_t H = dim(f, wq, 3, 0), E = wq.shape[2];
  const st::Tensor* wpos = f.find("pos_embed.W_pos");
  std::optional<ModelConfig> meta_cfg;
  if (auto it = f.metadata.find(kConfigKey); it != f.metadata.end()) {
    nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
    if (j.is_discarded()) throw Error(f.source + ": metadata '" + kConfigKey + "' is not valid JSON");
    meta_cfg = model_config_from_json(j, f.source + " (metadata " + kConfigKey + ")");
  }
  int64_t T;
  if (wpos) T = dim(f, *wpos, 2, 0);
  else if (meta_cfg) T = meta_cfg->n_ctx;
  else if (hints.n_ctx) T = *hints.n_ctx;
  else throw Error(f.source + ": no pos_embed.W_pos, so the context length is unknown; pass --task");

  check_dims(f, {{"d_vocab", V}, {"d_model", D}, {"n_heads", H}, {"d_head", E}, {"n_ctx", T}});
  ModelConfig cfg;
  cfg.n_layers = L;
  cfg.d_model = int(D), cfg.n_heads = int(H), cfg.d_head = int(E), cfg.d_vocab = int(V), cfg.n_ctx = int(T);

  // Every tensor present must have the shape a full model (positions, biases) gives its name.
  ModelConfig full = cfg;
  full.pos_embed = full.biases = true;
  const ParamTable full_table(full);
  std::map<std::string, std::vector<float>> values;
  for (const auto& name : ours) {
    const ParamInfo* p = full_table.find(name);
    values[name] = float_values(f, expect(f, name, p->shape, "from embed.W_E [V,D] = " + layout_shape_str({V, D}) +
                                                             ", blocks.0.attn.W_Q [H,D,E] = " + layout_shape_str({H, D, E}) +
                                                             (wpos ? ", pos_embed.W_pos [T,D]" : "")));
  }
  bool any_bias = false, nonzero_bias = false;
  for (const auto& [name, v] : values) {
    const ParamKind k = full_table.find(name)->kind;
    if (k == ParamKind::b_Q || k == ParamKind::b_K || k == ParamKind::b_V || k == ParamKind::b_O || k == ParamKind::b_U) {
      any_bias = true;
      nonzero_bias |= !all_zero(v);
    }
  }
  const bool pos_nonzero = wpos && !all_zero(values["pos_embed.W_pos"]);
  if (meta_cfg) {
    // Our own files: the recorded config is the authority; shapes must agree with it.
    const ModelConfig& m = *meta_cfg;
    if (m.n_layers != L || m.d_model != D || m.n_heads != H || m.d_head != E || m.d_vocab != V || m.n_ctx != T)
      throw Error(f.source + ": metadata " + kConfigKey + " says " + to_json(m).dump() +
                  " but the tensor shapes give L=" + std::to_string(L) + " D=" + std::to_string(D) + " H=" +
                  std::to_string(H) + " E=" + std::to_string(E) + " V=" + std::to_string(V) + " T=" +
                  std::to_string(T) + "; the file was edited or is corrupt");
    if (!m.pos_embed && pos_nonzero)
      throw Error(f.source + ": metadata says no positional embedding but pos_embed.W_pos is non-zero");
    if (!m.biases && nonzero_bias)
      throw Error(f.source + ": metadata says no biases but some bias tensors are non-zero");
    cfg.pos_embed = m.pos_embed, cfg.biases = m.biases, cfg.init_std = m.init_std, cfg.init = m.init;
  } else {
    cfg.pos_embed = pos_nonzero;
    if (wpos && !pos_nonzero)
      out.notes.push_back("pos_embed.W_pos is all zeros: loaded as a model without positional embedding");
    cfg.biases = nonzero_bias;
    if (any_bias && !nonzero_bias) out.notes.push_back("all bias tensors are zero: loaded as a model without biases");
  }
  apply_hints(f, cfg, hints, out.notes);
  validate_in(f, cfg);

  const ParamTable table(cfg);
  out.params.assign(table.total(), 0.0f);
  std::vector<std::string> zero_filled;
  for (const auto& e : table.entries()) {
    auto it = values.find(e.name);
    if (it == values.end()) {
      const bool bias = e.kind == ParamKind::b_Q || e.kind == ParamKind::b_K || e.kind == ParamKind::b_V ||
                        e.kind == ParamKind::b_O || e.kind == ParamKind::b_U;
      if (!bias) f.get(e.name);  // throws: required tensor missing
      zero_filled.push_back(e.name);
      continue;
    }
    std::copy(it->second.begin(), it->second.end(), out.params.begin() + long(e.offset));
  }
  if (!zero_filled.empty()) out.notes.push_back("missing bias tensors set to zero: " + list_names(zero_filled));
  out.config = cfg;
  return out;
}

LoadedWeights load_puzzle(const st::File& f, const ModelHints& hints) {
  LoadedWeights out;
  out.layout = Layout::Puzzle;
  out.metadata = f.metadata;
  std::set<int> layers, heads;
  std::vector<std::string> extras, biases;
  for (const auto& t : f.tensors) {
    std::string rest, rest2;
    if (ends_with(t.name, ".bias")) { biases.push_back(t.name); continue; }
    if (t.name == "tok_embed.weight" || t.name == "pos_embed.weight" || t.name == "unembed.weight") continue;
    const int l = split_index(t.name, "layers.", rest);
    if (l >= 0 && rest == "W_O.weight") { layers.insert(l); continue; }
    const int h = l >= 0 ? split_index(rest, "heads.", rest2) : -1;
    if (h >= 0 && (rest2 == "W_Q.weight" || rest2 == "W_K.weight" || rest2 == "W_V.weight")) {
      layers.insert(l), heads.insert(h);
      continue;
    }
    extras.push_back(t.name);
  }
  if (!biases.empty())
    throw Error(f.source + ": biases are not supported in the puzzle layout (found " + list_names(biases) +
                "); convert the weights to the transformer-lens layout instead");
  if (!extras.empty())
    throw Error(f.source + ": tensors that the puzzle layout does not have: " + list_names(extras) +
                " (is this the right file or --layout?)");
  const int L = contiguous_count(layers, f, "layer (layers.{l})");
  const int H = contiguous_count(heads, f, "head (layers.{l}.heads.{h})");
  if (L == 0 || H == 0) f.get("layers.0.heads.0.W_Q.weight");  // throws, naming it

  // tok_embed [V,D]; heads' W_Q [E,D]; pos_embed [T,D].
  const st::Tensor& tok = f.get("tok_embed.weight");
  const int64_t V = dim(f, tok, 2, 0), D = tok.shape[1];
  const int64_t E = dim(f, f.get("layers.0.heads.0.W_Q.weight"), 2, 0);
  const st::Tensor* pos = f.find("pos_embed.weight");
  check_dims(f, {{"d_vocab", V}, {"d_model", D}, {"d_head", E}});
  ModelConfig cfg;
  cfg.n_layers = L, cfg.n_heads = H, cfg.d_model = int(D), cfg.d_head = int(E), cfg.d_vocab = int(V);
  cfg.biases = false;
  std::vector<float> pos_v;
  if (pos) {
    const int64_t T = dim(f, *pos, 2, 0);
    check_dims(f, {{"n_ctx", T}});
    pos_v = float_values(f, expect(f, "pos_embed.weight", {T, D}, "[T, d_model]"));
    cfg.n_ctx = int(T);
    cfg.pos_embed = !all_zero(pos_v);
    if (!cfg.pos_embed) out.notes.push_back("pos_embed.weight is all zeros: loaded as a model without positional embedding");
  } else if (hints.n_ctx) {
    cfg.n_ctx = *hints.n_ctx, cfg.pos_embed = false;
    out.notes.push_back("no pos_embed.weight: loaded as a model without positional embedding");
  } else {
    throw Error(f.source + ": no pos_embed.weight, so the context length is unknown; pass --task");
  }
  // The recorded metadata, when present, must agree with the shapes.
  const std::pair<const char*, int> recorded[] = {{"d_model", cfg.d_model}, {"n_heads", H}, {"n_layers", L},
                                                  {"vocab_size", cfg.d_vocab}, {"max_seq_len", cfg.n_ctx}};
  for (const auto& [key, actual] : recorded) {
    auto it = f.metadata.find(key);
    if (it == f.metadata.end() || (!pos && std::string(key) == "max_seq_len")) continue;
    if (it->second != std::to_string(actual))
      throw Error(f.source + ": metadata " + key + " = '" + it->second + "' but the tensor shapes give " +
                  std::to_string(actual) + "; the file is inconsistent");
  }
  apply_hints(f, cfg, hints, out.notes);
  validate_in(f, cfg);

  const ParamTable table(cfg);
  out.params.assign(table.total(), 0.0f);
  float* p = out.params.data();
  auto copy_to = [&](ParamKind k, int layer, const std::vector<float>& v) {
    std::copy(v.begin(), v.end(), p + table.get(k, layer).offset);
  };
  copy_to(ParamKind::W_E, -1, float_values(f, expect(f, "tok_embed.weight", {V, D}, "[vocab, d_model]")));
  if (cfg.pos_embed) copy_to(ParamKind::W_pos, -1, pos_v);
  for (int l = 0; l < L; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    const ParamKind kinds[3] = {ParamKind::W_Q, ParamKind::W_K, ParamKind::W_V};
    const char* names[3] = {"W_Q", "W_K", "W_V"};
    for (int m = 0; m < 3; ++m) {
      float* dst = p + table.get(kinds[m], l).offset;  // [H, D, E]
      for (int h = 0; h < H; ++h) {
        const std::string n = pre + "heads." + std::to_string(h) + "." + names[m] + ".weight";
        const auto w = float_values(f, expect(f, n, {E, D}, "nn.Linear [d_head, d_model]"));
        for (int64_t d = 0; d < D; ++d)
          for (int64_t e = 0; e < E; ++e) dst[(h * D + d) * E + e] = w[size_t(e * D + d)];
      }
    }
    // W_O.weight [D, H*E] acts on concat(z_0..z_{H-1}): W_O[h][e][d] = weight[d][h*E + e].
    const auto wo = float_values(f, expect(f, pre + "W_O.weight", {D, H * E}, "nn.Linear [d_model, n_heads * d_head]"));
    float* dst = p + table.get(ParamKind::W_O, l).offset;  // [H, E, D]
    for (int64_t h = 0; h < H; ++h)
      for (int64_t e = 0; e < E; ++e)
        for (int64_t d = 0; d < D; ++d) dst[(h * E + e) * D + d] = wo[size_t(d * H * E + h * E + e)];
  }
  const auto wu = float_values(f, expect(f, "unembed.weight", {V, D}, "nn.Linear [vocab, d_model]"));
  float* dst = p + table.get(ParamKind::W_U).offset;  // [D, V]
  for (int64_t d = 0; d < D; ++d)
    for (int64_t v = 0; v < V; ++v) dst[d * V + v] = wu[size_t(v * D + d)];
  out.config = cfg;
  return out;
}

}  // namespace

Layout parse_layout(const std::string& s) {
  if (s == "native" || s == "transformer-lens" || s == "tl") return Layout::Native;
  if (s == "puzzle") return Layout::Puzzle;
  throw Error("unknown layout '" + s + "' (use native, transformer-lens or puzzle)");
}

std::string layout_name(Layout l) { return l == Layout::Native ? "native" : "puzzle"; }

Layout detect_layout(const st::File& f) {
  if (f.find("embed.W_E")) return Layout::Native;
  if (f.find("tok_embed.weight")) return Layout::Puzzle;
  std::vector<std::string> names;
  for (const auto& t : f.tensors) names.push_back(t.name);
  throw Error(f.source + ": cannot tell the weight layout (no embed.W_E or tok_embed.weight; tensors: " +
              (names.empty() ? std::string("none") : list_names(names, 5)) +
              "); pass --layout native, transformer-lens or puzzle");
}

LoadedWeights load_weights(const st::File& f, std::optional<Layout> layout, const ModelHints& hints) {
  const Layout l = layout ? *layout : detect_layout(f);
  return l == Layout::Native ? load_native(f, hints) : load_puzzle(f, hints);
}

LoadedWeights load_weights(const std::string& path, std::optional<Layout> layout, const ModelHints& hints) {
  return load_weights(read_weights_file(path), layout, hints);
}

st::File to_native_file(const ModelConfig& cfg, const float* params, std::map<std::string, std::string> metadata) {
  cfg.validate();
  st::File f;
  f.metadata = std::move(metadata);
  f.metadata[kConfigKey] = to_json(cfg).dump();
  const ParamTable table(cfg);
  for (const auto& e : table.entries())
    f.tensors.push_back(st::Tensor::from_f32(e.name, e.shape, params + e.offset));
  return f;
}

void save_native(const std::string& path, const ModelConfig& cfg, const float* params,
                 std::map<std::string, std::string> metadata) {
  st::File f = to_native_file(cfg, params, std::move(metadata));
  f.source = path;
  st::write(path, f);
}

st::File to_puzzle_file(const ModelConfig& cfg, const float* params, std::map<std::string, std::string> metadata) {
  cfg.validate();
  if (cfg.biases || !cfg.pos_embed)
    throw Error("the puzzle layout needs a model with a positional embedding and no biases; "
                "save this model in the native (transformer-lens) layout instead");
  const ParamTable table(cfg);
  const int64_t L = cfg.n_layers, D = cfg.d_model, H = cfg.n_heads, E = cfg.d_head, V = cfg.d_vocab, T = cfg.n_ctx;
  st::File f;
  f.metadata = std::move(metadata);
  f.metadata["d_model"] = std::to_string(D), f.metadata["n_heads"] = std::to_string(H);
  f.metadata["n_layers"] = std::to_string(L), f.metadata["vocab_size"] = std::to_string(V);
  f.metadata["max_seq_len"] = std::to_string(T);
  auto src = [&](ParamKind k, int l = -1) { return params + table.get(k, l).offset; };
  f.tensors.push_back(st::Tensor::from_f32("tok_embed.weight", {V, D}, src(ParamKind::W_E)));
  f.tensors.push_back(st::Tensor::from_f32("pos_embed.weight", {T, D}, src(ParamKind::W_pos)));
  std::vector<float> buf;
  for (int l = 0; l < L; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    const ParamKind kinds[3] = {ParamKind::W_Q, ParamKind::W_K, ParamKind::W_V};
    const char* names[3] = {"W_Q", "W_K", "W_V"};
    for (int h = 0; h < H; ++h)
      for (int m = 0; m < 3; ++m) {
        const float* w = src(kinds[m], l);  // [H, D, E] -> per head [E, D]
        buf.assign(size_t(E * D), 0.0f);
        for (int64_t d = 0; d < D; ++d)
          for (int64_t e = 0; e < E; ++e) buf[size_t(e * D + d)] = w[(h * D + d) * E + e];
        f.tensors.push_back(st::Tensor::from_f32(pre + "heads." + std::to_string(h) + "." + names[m] + ".weight",
                                                 {E, D}, buf.data()));
      }
    const float* wo = src(ParamKind::W_O, l);  // [H, E, D] -> [D, H*E]
    buf.assign(size_t(D * H * E), 0.0f);
    for (int64_t h = 0; h < H; ++h)
      for (int64_t e = 0; e < E; ++e)
        for (int64_t d = 0; d < D; ++d) buf[size_t(d * H * E + h * E + e)] = wo[(h * E + e) * D + d];
    f.tensors.push_back(st::Tensor::from_f32(pre + "W_O.weight", {D, H * E}, buf.data()));
  }
  const float* wu = src(ParamKind::W_U);  // [D, V] -> [V, D]
  buf.assign(size_t(V * D), 0.0f);
  for (int64_t d = 0; d < D; ++d)
    for (int64_t v = 0; v < V; ++v) buf[size_t(v * D + d)] = wu[d * V + v];
  f.tensors.push_back(st::Tensor::from_f32("unembed.weight", {V, D}, buf.data()));
  return f;
}

void save_puzzle(const std::string& path, const ModelConfig& cfg, const float* params,
                 std::map<std::string, std::string> metadata) {
  st::File f = to_puzzle_file(cfg, params, std::move(metadata));
  f.source = path;
  st::write(path, f);
}

}  // namespace hc
