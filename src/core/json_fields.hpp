#pragma once
// Strict typed reads of configuration fields: a field must have the JSON type
// its C++ type needs and fit that type's range. nlohmann's get<int>() converts
// silently (4294967360 becomes 64) and get<int64_t>() of 1e300 is undefined
// behaviour (found by fuzz/config_fuzz.cpp), so config readers use these.
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace hc::json_field {

// `what` names the field in messages, e.g. "config.json: field 'steps'".
template <class Int>
Int integer(const nlohmann::json& v, const std::string& what) {
  static_assert(std::is_integral_v<Int>);
  using L = std::numeric_limits<Int>;
  if (!v.is_number_integer()) throw Error(what + " must be an integer (got " + v.dump() + ")");
  bool fits;
  if (v.is_number_unsigned()) {
    fits = v.get<uint64_t>() <= uint64_t(L::max());
  } else {
    const int64_t i = v.get<int64_t>();  // negative: is_number_unsigned() is false only for those
    if constexpr (std::is_signed_v<Int>) fits = i >= int64_t(L::min()) && i <= int64_t(L::max());
    else fits = false;
  }
  if (!fits)
    throw Error(what + " = " + v.dump() + " is out of range [" + std::to_string(L::min()) + ", " +
                std::to_string(L::max()) + "]");
  return v.is_number_unsigned() ? Int(v.get<uint64_t>()) : Int(v.get<int64_t>());
}

inline double number(const nlohmann::json& v, const std::string& what) {
  if (!v.is_number()) throw Error(what + " must be a number (got " + v.dump() + ")");
  return v.get<double>();
}

inline bool boolean(const nlohmann::json& v, const std::string& what) {
  if (!v.is_boolean()) throw Error(what + " must be true or false (got " + v.dump() + ")");
  return v.get<bool>();
}

inline std::string string(const nlohmann::json& v, const std::string& what) {
  if (!v.is_string()) throw Error(what + " must be a string (got " + v.dump() + ")");
  return v.get<std::string>();
}

}  // namespace hc::json_field
