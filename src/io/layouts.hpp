#pragma once
// Weight layouts: how tensors saved by other frameworks map onto our flat
// parameter buffer (laid out by ParamTable).
//  - Native: TransformerLens names and shapes, exactly as ParamTable builds them.
//  - Puzzle: the Bau lab puzzle's model.py state_dict (nn.Linear per head,
//    out x in weights, one W_O over the concatenated heads, no biases).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.hpp"
#include "model/config.hpp"

namespace hc {

enum class Layout { Native, Puzzle };

// "native", "transformer-lens", "tl" -> Native; "puzzle" -> Puzzle; else hc::Error.
Layout parse_layout(const std::string& s);
std::string layout_name(Layout l);  // "native" / "puzzle"
// From the tensor names; throws hc::Error asking for --layout if neither matches.
Layout detect_layout(const st::File& f);

// What the task expects: fills what a file cannot say (n_ctx when there is no
// positional embedding) and turns a mismatch into a clear error.
struct ModelHints {
  std::optional<int> n_ctx, d_vocab;
  std::string task_name;
};

struct LoadedWeights {
  ModelConfig config;
  std::vector<float> params;  // flat buffer laid out by ParamTable(config)
  std::map<std::string, std::string> metadata;
  Layout layout = Layout::Native;
  std::vector<std::string> notes;  // human-readable notes on what was inferred
};

// layout: nullopt = detect from the names.
LoadedWeights load_weights(const st::File& f, std::optional<Layout> layout, const ModelHints& hints);
LoadedWeights load_weights(const std::string& path, std::optional<Layout> layout, const ModelHints& hints);

// Every ParamTable tensor as F32 with its TransformerLens name and shape, plus
// metadata "headcount.model_config" = to_json(cfg).dump() and the caller's metadata.
st::File to_native_file(const ModelConfig& cfg, const float* params,
                        std::map<std::string, std::string> metadata);
void save_native(const std::string& path, const ModelConfig& cfg, const float* params,
                 std::map<std::string, std::string> metadata);

// The puzzle layout; throws hc::Error if cfg.biases or !cfg.pos_embed.
st::File to_puzzle_file(const ModelConfig& cfg, const float* params,
                        std::map<std::string, std::string> metadata);
void save_puzzle(const std::string& path, const ModelConfig& cfg, const float* params,
                 std::map<std::string, std::string> metadata);

}  // namespace hc
