#include "core/options.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.hpp"

namespace hc {

namespace {

// A number as a user would write it: 64, 0.001, 1e+08.
std::string number_text(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

std::string integer_text(double x) { return std::to_string(int64_t(x)); }

bool bounded(double x) { return std::isfinite(x); }

std::string quoted_choices(const std::vector<std::string>& c) {
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) out += (i ? i + 1 == c.size() ? " or " : ", " : "") + c[i];
  return out;
}

// A value as the user gave it, for "(got X)": JSON strings keep their quotes,
// so "steps": "20" reads (got "20").
std::string got(const nlohmann::json& v) { return v.dump(); }

[[noreturn]] void refuse(const OptionSpec& o, const std::string& shown) {
  throw Error(o.flag() + " must be " + o.range_text() + " (got " + shown + ")" + (o.note.empty() ? "" : ": " + o.note));
}

}  // namespace

std::string OptionSpec::key() const {
  std::string k = name;
  std::replace(k.begin(), k.end(), '-', '_');
  return k;
}

std::string OptionSpec::range_text() const {
  switch (type) {
    case OptionType::Bool:
      return "true or false";
    case OptionType::String:
      return choices.empty() ? "a string" : "one of " + quoted_choices(choices);
    case OptionType::Seed:
      return "an integer between 0 and 18446744073709551615 (2^64-1)";
    case OptionType::Int:
      if (bounded(max)) return "an integer between " + integer_text(min) + " and " + integer_text(max);
      return "an integer of at least " + integer_text(min);
    case OptionType::Float: {
      if (!bounded(max) && !min_open && bounded(min)) return "a number >= " + number_text(min);
      if (!bounded(max) && min_open && bounded(min)) return "a number > " + number_text(min);
      return std::string("a number in ") + (min_open ? "(" : "[") + number_text(min) + ", " + number_text(max) + (max_open ? ")" : "]");
    }
  }
  return "";
}

nlohmann::json check_value(const OptionSpec& o, const nlohmann::json& v) {
  switch (o.type) {
    case OptionType::Bool:
      if (!v.is_boolean()) refuse(o, got(v));
      return v;
    case OptionType::String:
      if (!v.is_string()) refuse(o, got(v));
      if (!o.choices.empty() && std::find(o.choices.begin(), o.choices.end(), v.get<std::string>()) == o.choices.end())
        refuse(o, got(v));
      return v;
    case OptionType::Seed:
      // A negative integer or anything above 2^64-1 (which JSON holds as a
      // float) is refused rather than wrapped.
      if (!v.is_number_unsigned()) {
        if (v.is_number_integer() && v.get<int64_t>() >= 0) return nlohmann::json(v.get<uint64_t>());
        refuse(o, got(v));
      }
      return v;
    case OptionType::Int: {
      if (!v.is_number_integer()) refuse(o, got(v));
      if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u > uint64_t(std::numeric_limits<int64_t>::max()) || double(u) > o.max || double(u) < o.min) refuse(o, got(v));
        return nlohmann::json(int64_t(u));
      }
      const int64_t i = v.get<int64_t>();
      if (double(i) < o.min || double(i) > o.max) refuse(o, got(v));
      return nlohmann::json(i);
    }
    case OptionType::Float: {
      if (!v.is_number()) refuse(o, got(v));
      const double x = v.get<double>();
      // Written as !(in range) so that NaN is refused too.
      const bool lo_ok = o.min_open ? x > o.min : x >= o.min;
      const bool hi_ok = o.max_open ? x < o.max : x <= o.max;
      if (!(std::isfinite(x) && lo_ok && hi_ok)) refuse(o, got(v));
      return v;
    }
  }
  return v;
}

nlohmann::json parse_text(const OptionSpec& o, const std::string& text) {
  switch (o.type) {
    case OptionType::Bool: {
      std::string t = text;
      std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return char(std::tolower(c)); });
      if (t == "true" || t == "1" || t == "on" || t == "yes") return true;
      if (t == "false" || t == "0" || t == "off" || t == "no") return false;
      refuse(o, "'" + text + "'");
    }
    case OptionType::String:
      return check_value(o, nlohmann::json(text));
    case OptionType::Seed: {
      uint64_t u = 0;
      const char* end = text.data() + text.size();
      auto [p, ec] = std::from_chars(text.data(), end, u);
      if (text.empty() || ec != std::errc() || p != end) refuse(o, text);
      return nlohmann::json(u);
    }
    case OptionType::Int: {
      int64_t i = 0;
      const char* end = text.data() + text.size();
      auto [p, ec] = std::from_chars(text.data(), end, i);
      if (text.empty() || ec != std::errc() || p != end) refuse(o, text);
      return check_value(o, nlohmann::json(i));
    }
    case OptionType::Float: {
      errno = 0;
      char* end = nullptr;
      const double x = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) refuse(o, text);
      try {
        return check_value(o, nlohmann::json(x));
      } catch (const Error&) {
        refuse(o, text);
      }
    }
  }
  return nullptr;
}

std::string canonical_option_name(std::string_view name) {
  while (!name.empty() && name.front() == '-') name.remove_prefix(1);
  std::string c(name);
  std::replace(c.begin(), c.end(), '_', '-');
  return c;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string n = canonical_option_name(name);
  const std::string* best = nullptr;
  size_t best_d = 0;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(n, c);
    if (!best || d < best_d) best = &c, best_d = d;
  }
  if (!best || best_d > std::max<size_t>(2, n.size() / 3)) return "";
  return " (did you mean '" + *best + "'?)";
}

}  // namespace hc
