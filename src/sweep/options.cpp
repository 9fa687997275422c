#include "sweep/options.hpp"

#include "core/error.hpp"

namespace hc {

OptionValues options_from_json(const nlohmann::json& opts, const std::string& source) {
  if (!opts.is_object()) throw Error(source + ": options must be a JSON object");
  OptionValues out;
  for (auto it = opts.begin(); it != opts.end(); ++it) {
    const TrainOption& o = train_option(it.key(), source);
    if (out.count(o.spec.name))
      throw Error(source + ": option '" + o.spec.name + "' is given twice ('" + o.spec.name + "' and '" + o.spec.key() +
                  "' are the same option); keep one");
    try {
      out[o.spec.name] = check_train_value(o, it.value());
    } catch (const Error& e) {
      throw Error(source + ": " + e.what());
    }
  }
  return out;
}

TrainConfig config_from_options(const nlohmann::json& opts, const std::string& source) {
  BuildRules rules;
  rules.command_line = false;
  rules.refuse_other_task_options = false;  // a grid may cross tasks with one task's options
  return build_train_config(options_from_json(opts, source), rules);
}

}  // namespace hc
