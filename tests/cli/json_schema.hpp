#pragma once
// A small validator for the JSON-Schema subset docs/cli-json-schema.json uses:
// "type" (a name or a list of names), "required", "properties",
// "additionalProperties" (false, or a schema for the keys "properties" does not
// name), "items", "oneOf" (the value must fit one of the listed schemas) and
// "$ref": "#/definitions/NAME". Returns one line per violation, with the path.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc::testing {

inline const nlohmann::json& resolve(const nlohmann::json& schema, const nlohmann::json& root) {
  if (!schema.contains("$ref")) return schema;
  const std::string ref = schema["$ref"].get<std::string>();
  const std::string prefix = "#/definitions/";
  if (ref.rfind(prefix, 0) != 0) throw std::runtime_error("unsupported $ref " + ref);
  return root.at("definitions").at(ref.substr(prefix.size()));
}

inline bool has_type(const nlohmann::json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  throw std::runtime_error("unknown schema type " + type);
}

inline void validate_into(const nlohmann::json& v, const nlohmann::json& schema_in, const nlohmann::json& root,
                          const std::string& path, std::vector<std::string>& errors) {
  const nlohmann::json& schema = resolve(schema_in, root);
  if (schema.contains("oneOf")) {
    std::vector<std::string> all;
    int fits = 0;
    for (const auto& alt : schema["oneOf"]) {
      std::vector<std::string> e;
      validate_into(v, alt, root, path, e);
      if (e.empty()) ++fits;
      all.insert(all.end(), e.begin(), e.end());
    }
    if (fits != 1)
      errors.push_back(path + ": fits " + std::to_string(fits) + " of the " + std::to_string(schema["oneOf"].size()) +
                       " alternatives, not one" + (all.empty() ? std::string() : " (" + all.front() + ")"));
    return;
  }
  if (schema.contains("type")) {
    std::vector<std::string> types;
    if (schema["type"].is_array())
      for (const auto& t : schema["type"]) types.push_back(t.get<std::string>());
    else
      types.push_back(schema["type"].get<std::string>());
    bool ok = false;
    for (const auto& t : types) ok = ok || has_type(v, t);
    if (!ok) {
      errors.push_back(path + ": expected " + schema["type"].dump() + ", got " + v.dump().substr(0, 80));
      return;
    }
  }
  if (v.is_object()) {
    for (const auto& k : schema.value("required", nlohmann::json::array()))
      if (!v.contains(k.get<std::string>())) errors.push_back(path + ": missing required key " + k.dump());
    if (schema.contains("properties"))
      for (const auto& [k, sub] : schema["properties"].items())
        if (v.contains(k)) validate_into(v[k], sub, root, path + "." + k, errors);
    if (schema.contains("additionalProperties"))
      for (const auto& [k, sub] : v.items()) {
        if (schema.contains("properties") && schema["properties"].contains(k)) continue;
        if (schema["additionalProperties"] == false)
          errors.push_back(path + ": key \"" + k + "\" is not in the schema");
        else if (schema["additionalProperties"].is_object())
          validate_into(sub, schema["additionalProperties"], root, path + "." + k, errors);
      }
  }
  if (v.is_array() && schema.contains("items"))
    for (size_t i = 0; i < v.size(); ++i) validate_into(v[i], schema["items"], root, path + "[" + std::to_string(i) + "]", errors);
}

inline std::vector<std::string> validate(const nlohmann::json& v, const nlohmann::json& schema, const nlohmann::json& root,
                                         const std::string& path) {
  std::vector<std::string> errors;
  validate_into(v, schema, root, path, errors);
  return errors;
}

}  // namespace hc::testing
