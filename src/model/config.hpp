#pragma once
// The shape of a model. Dimension letters are fixed everywhere:
// B batch, T positions (n_ctx), D d_model, H heads, E d_head, V vocabulary, L layers.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace hc {

struct ModelConfig {
  int n_layers = 1;     // L
  int d_model = 64;     // D
  int n_heads = 4;      // H
  int d_head = 16;      // E (independent of D / H)
  int d_vocab = 14;     // V
  int n_ctx = 12;       // T
  bool pos_embed = true;  // learned positional embedding (false: none)
  bool biases = false;    // b_Q, b_K, b_V, b_O, b_U
  // Standard deviation of the normal initialisation of every weight matrix;
  // <= 0 means TransformerLens's default 0.8 / sqrt(D). Biases start at 0.
  double init_std = -1.0;
  // "normal": every weight ~ N(0, effective_init_std()). "puzzle": the puzzle
  // series' model.py: W_E, W_pos, W_U ~ N(0, 0.02) and W_Q, W_K, W_V, W_O as
  // PyTorch's nn.Linear, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in D for
  // Q, K, V and H*E for O (init_std must then be left unset).
  std::string init = "normal";

  double effective_init_std() const;
  // Throws hc::Error naming the bad field and its allowed range.
  void validate() const;
};

nlohmann::json to_json(const ModelConfig& c);
// Reads a config; missing fields keep their defaults, unknown fields are errors.
ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& source);

}  // namespace hc
