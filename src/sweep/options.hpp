#pragma once
// Training options named as on the `headcount train` command line ("d-model",
// "lr", ...) turned into a TrainConfig, with the same defaults and rules
// (per-task recipes, d_head = D / H unless given).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/trainer.hpp"

namespace hc {

const std::vector<std::string>& train_option_names();
bool is_train_option(const std::string& name);

// opts: {"task": "count01", "d-model": 32, ...}; every value a scalar.
// Throws hc::Error naming `source`, the option and the fix.
TrainConfig config_from_options(const nlohmann::json& opts, const std::string& source);

}  // namespace hc
