#pragma once
// A sweep run's options ({"task": "count01", "d-model": 32, ...}, either
// spelling, "d_model" too) turned into a TrainConfig through the option table
// of train/options.hpp, with the same defaults and rules as `headcount train`
// (per-task recipes, d_head = D / H unless given).
#include <string>

#include <nlohmann/json.hpp>

#include "train/options.hpp"
#include "train/trainer.hpp"

namespace hc {

// The options of a JSON object, checked (type and range) and keyed by
// canonical name; an unknown name gets "did you mean", a name given in both
// spellings is refused. Throws hc::Error naming `source`, the option and the fix.
OptionValues options_from_json(const nlohmann::json& opts, const std::string& source);

// opts: {"task": "count01", "d-model": 32, ...}; every value a scalar.
TrainConfig config_from_options(const nlohmann::json& opts, const std::string& source);

}  // namespace hc
