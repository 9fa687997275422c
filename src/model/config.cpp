#include "model/config.hpp"

#include <cmath>

#include "core/error.hpp"

namespace hc {

double ModelConfig::effective_init_std() const {
  return init_std > 0 ? init_std : 0.8 / std::sqrt(double(d_model));
}

void ModelConfig::validate() const {
  auto check = [](bool ok, const std::string& what) {
    if (!ok) throw Error("invalid model configuration: " + what);
  };
  // Limits keep every buffer far below what a 64-bit size could overflow and
  // refuse absurd sizes before anything is allocated.
  check(n_layers >= 1 && n_layers <= 64, "n_layers = " + std::to_string(n_layers) + " must be in [1, 64]");
  check(d_model >= 1 && d_model <= 65536, "d_model = " + std::to_string(d_model) + " must be in [1, 65536]");
  check(n_heads >= 1 && n_heads <= 1024, "n_heads = " + std::to_string(n_heads) + " must be in [1, 1024]");
  check(d_head >= 1 && d_head <= 65536, "d_head = " + std::to_string(d_head) + " must be in [1, 65536]");
  check(d_vocab >= 2 && d_vocab <= 1000000, "d_vocab = " + std::to_string(d_vocab) + " must be in [2, 1000000]");
  check(n_ctx >= 1 && n_ctx <= 65536, "n_ctx = " + std::to_string(n_ctx) + " must be in [1, 65536]");
  double params = double(d_vocab) * d_model * 2 + double(n_ctx) * d_model +
                  double(n_layers) * 4.0 * n_heads * d_model * d_head;
  check(params <= 2e9, "the model would have about " + std::to_string(int64_t(params)) +
                           " parameters; headcount is for tiny models (at most 2e9)");
}

nlohmann::json to_json(const ModelConfig& c) {
  return {{"n_layers", c.n_layers}, {"d_model", c.d_model},     {"n_heads", c.n_heads},
          {"d_head", c.d_head},     {"d_vocab", c.d_vocab},     {"n_ctx", c.n_ctx},
          {"pos_embed", c.pos_embed}, {"biases", c.biases},     {"init_std", c.init_std}};
}

ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": the model configuration must be a JSON object");
  ModelConfig c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    try {
      if (k == "n_layers") c.n_layers = it->get<int>();
      else if (k == "d_model") c.d_model = it->get<int>();
      else if (k == "n_heads") c.n_heads = it->get<int>();
      else if (k == "d_head") c.d_head = it->get<int>();
      else if (k == "d_vocab") c.d_vocab = it->get<int>();
      else if (k == "n_ctx") c.n_ctx = it->get<int>();
      else if (k == "pos_embed") c.pos_embed = it->get<bool>();
      else if (k == "biases") c.biases = it->get<bool>();
      else if (k == "init_std") c.init_std = it->get<double>();
      else throw Error(source + ": unknown model field '" + k + "' (known: n_layers, d_model, n_heads, d_head, d_vocab, n_ctx, pos_embed, biases, init_std)");
    } catch (const nlohmann::json::exception& e) {
      throw Error(source + ": model field '" + k + "' has the wrong type: " + e.what());
    }
  }
  c.validate();
  return c;
}

}  // namespace hc
