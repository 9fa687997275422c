#include "model/hooks.hpp"

#include "core/error.hpp"

namespace hc {

namespace {
const char* site_suffix(Site s) {
  switch (s) {
    case Site::embed: return "hook_embed";
    case Site::pos_embed: return "hook_pos_embed";
    case Site::resid_pre: return "hook_resid_pre";
    case Site::q: return "attn.hook_q";
    case Site::k: return "attn.hook_k";
    case Site::v: return "attn.hook_v";
    case Site::attn_scores: return "attn.hook_attn_scores";
    case Site::pattern: return "attn.hook_pattern";
    case Site::z: return "attn.hook_z";
    case Site::result: return "attn.hook_result";
    case Site::attn_out: return "hook_attn_out";
    case Site::resid_post: return "hook_resid_post";
    case Site::logits: return "logits";
  }
  return "?";
}
}  // namespace

std::string hook_name(const HookKey& key) {
  if (key.site == Site::embed || key.site == Site::pos_embed || key.site == Site::logits)
    return site_suffix(key.site);
  return "blocks." + std::to_string(key.layer) + "." + site_suffix(key.site);
}

std::vector<HookKey> all_hook_keys(int n_layers) {
  std::vector<HookKey> keys = {{Site::embed, -1}, {Site::pos_embed, -1}};
  for (int l = 0; l < n_layers; ++l)
    for (Site s : {Site::resid_pre, Site::q, Site::k, Site::v, Site::attn_scores, Site::pattern, Site::z,
                   Site::result, Site::attn_out, Site::resid_post})
      keys.push_back({s, l});
  keys.push_back({Site::logits, -1});
  return keys;
}

HookKey parse_hook_name(const std::string& name, int n_layers) {
  for (const auto& k : all_hook_keys(n_layers))
    if (hook_name(k) == name) return k;
  std::string known;
  for (const auto& k : all_hook_keys(std::min(n_layers, 1))) known += " " + hook_name(k);
  throw Error("unknown hook point '" + name + "' (hook points are:" + known +
              (n_layers > 1 ? ", and the same for blocks.1.. )" : ")"));
}

}  // namespace hc
