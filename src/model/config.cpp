#include "model/config.hpp"

#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/json_fields.hpp"

namespace hc {

double ModelConfig::effective_init_std() const {
  return init_std > 0 ? init_std : 0.8 / std::sqrt(double(d_model));
}

namespace {
std::string shortest(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}
}  // namespace

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
  check(std::isfinite(init_std) && init_std <= 100,
        "init_std = " + std::to_string(init_std) + " must be at most 100 (<= 0: the default 0.8/sqrt(D))");
  check(init == "normal" || init == "puzzle", "init = '" + init + "' must be normal or puzzle");
  check(init == "normal" || !(init_std > 0),
        "init_std = " + shortest(init_std) + " (--init-std) sets the scale of the normal init only; init '" + init +
            "' (--init) has its own fixed scales: give one of the two");
  double params = double(d_vocab) * d_model * 2 + double(n_ctx) * d_model +
                  double(n_layers) * 4.0 * n_heads * d_model * d_head;
  check(params <= 2e9, "the model would have about " + std::to_string(int64_t(params)) +
                           " parameters; headcount is for tiny models (at most 2e9)");
  // Attention scores and patterns are [L,H,T,T] per example, 32 examples per
  // chunk: bounding them keeps every chunk's buffers addressable by 32-bit
  // indices and below about 8 GiB each.
  const double attn = double(n_layers) * n_heads * double(n_ctx) * n_ctx;
  check(attn <= double(1 << 26), "n_layers * n_heads * n_ctx^2 = " + std::to_string(int64_t(attn)) +
                                     " attention entries per example exceeds the limit 67108864 " +
                                     "(fewer heads or layers, or a shorter context)");
}

nlohmann::json to_json(const ModelConfig& c) {
  nlohmann::json j = {{"n_layers", c.n_layers}, {"d_model", c.d_model},     {"n_heads", c.n_heads},
                      {"d_head", c.d_head},     {"d_vocab", c.d_vocab},     {"n_ctx", c.n_ctx},
                      {"pos_embed", c.pos_embed}, {"biases", c.biases},     {"init_std", c.init_std}};
  // Written only when it is not the default, so configs of normal-init runs
  // stay byte for byte what they were before the field existed.
  if (c.init != "normal") j["init"] = c.init;
  return j;
}

ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": the model configuration must be a JSON object");
  ModelConfig c;
  namespace jf = json_field;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const std::string what = source + ": model field '" + k + "'";
    if (k == "n_layers") c.n_layers = jf::integer<int>(*it, what);
    else if (k == "d_model") c.d_model = jf::integer<int>(*it, what);
    else if (k == "n_heads") c.n_heads = jf::integer<int>(*it, what);
    else if (k == "d_head") c.d_head = jf::integer<int>(*it, what);
    else if (k == "d_vocab") c.d_vocab = jf::integer<int>(*it, what);
    else if (k == "n_ctx") c.n_ctx = jf::integer<int>(*it, what);
    else if (k == "pos_embed") c.pos_embed = jf::boolean(*it, what);
    else if (k == "biases") c.biases = jf::boolean(*it, what);
    else if (k == "init_std") c.init_std = jf::number(*it, what);
    else if (k == "init") c.init = jf::string(*it, what);
    else throw Error(source + ": unknown model field '" + k + "' (known: n_layers, d_model, n_heads, d_head, d_vocab, n_ctx, pos_embed, biases, init_std, init)");
  }
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return c;
}

}  // namespace hc
