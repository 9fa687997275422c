#pragma once
// One option as the command line, a sweep spec and a config file know it: a
// name, a type, a range or a list of choices, and help. check_value() and
// parse_text() are the only places that decide whether a value is acceptable,
// so the CLI, sweep specs and config files refuse the same values with the same
// message. Names: the config/JSON key uses '_' ("d_model"), the flag '-'
// ("--d-model"); sweep specs accept both spellings.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc {

enum class OptionType {
  Int,     // a whole number in [min, max]
  Float,   // a finite number in [min, max] (min_open / max_open make a bound strict)
  Bool,    // true or false; as a flag, given alone it means true
  String,  // one of `choices` (any string when there are none)
  Seed,    // a whole number in [0, 2^64-1]
};

struct OptionSpec {
  std::string name;  // dash spelling without the dashes: "d-model"
  OptionType type = OptionType::Int;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;
  std::vector<std::string> choices;  // String
  std::string note;                  // why the range, appended to a range error after ": "
  std::string help;
  std::string default_text;  // for help where the value alone would mislead ("1/3", "D / H")

  std::string flag() const { return "--" + name; }
  std::string key() const;  // underscore spelling: "d_model"
  std::string range_text() const;  // "an integer between 1 and 64", "a number in (0, 100]", ...
};

// The value if it has the option's type and lies in its range, as JSON (an
// integer for Int and Seed). Throws hc::Error "<flag> must be ... (got X)".
nlohmann::json check_value(const OptionSpec& o, const nlohmann::json& v);

// The value of `text` as typed on a command line ("64", "1e-3", "true"), then
// check_value(). Integers are read whole: "1.5", "-1" for a seed, "3x" and a
// value past the range are refused with the range named.
nlohmann::json parse_text(const OptionSpec& o, const std::string& text);

// "d_model", "--d-model", "d-model" -> "d-model".
std::string canonical_option_name(std::string_view name);

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

// " (did you mean 'X'?)" for the candidate nearest to `name`, or "" when none
// is close (distance above a third of the name's length, at least 2).
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace hc
