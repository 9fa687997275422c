// OptionSpec: every kind of value is type- and range-checked with the limit
// named, command-line text is read whole, and names get "did you mean".
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/options.hpp"

namespace hc {
namespace core_options_test {  // this file's own names (unity builds batch test files)
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

OptionSpec int_spec() {
  OptionSpec s;
  s.name = "d-model", s.type = OptionType::Int, s.min = 1, s.max = 65536;
  return s;
}

TEST(OptionSpec, IntegersAreReadWholeAndCheckedAgainstTheirCap) {
  const OptionSpec s = int_spec();
  EXPECT_EQ(parse_text(s, "64"), 64);
  EXPECT_EQ(parse_text(s, "65536"), 65536);
  for (const char* bad : {"0", "65537", "1.5", "64x", "", "1e3", "99999999999999999999999"}) {
    const std::string msg = error_of([&] { parse_text(s, bad); });
    EXPECT_EQ(msg, std::string("--d-model must be an integer between 1 and 65536 (got ") + bad + ")") << bad;
  }
  // JSON: a string is not a number, even when it spells one.
  EXPECT_EQ(error_of([&] { check_value(s, nlohmann::json("20")); }),
            "--d-model must be an integer between 1 and 65536 (got \"20\")");
  EXPECT_EQ(error_of([&] { check_value(s, nlohmann::json(2.5)); }),
            "--d-model must be an integer between 1 and 65536 (got 2.5)");
  EXPECT_EQ(check_value(s, nlohmann::json(32u)), 32);
}

TEST(OptionSpec, SeedsCoverExactlyZeroTo2To64Minus1) {
  OptionSpec s;
  s.name = "seed", s.type = OptionType::Seed;
  EXPECT_EQ(parse_text(s, "0").get<uint64_t>(), 0u);
  EXPECT_EQ(parse_text(s, "18446744073709551615").get<uint64_t>(), 18446744073709551615ull);
  const std::string range = "--seed must be an integer between 0 and 18446744073709551615 (2^64-1) (got ";
  for (const char* bad : {"-1", "18446744073709551616", "1e3", "+5", " 5"})
    EXPECT_EQ(error_of([&] { parse_text(s, bad); }), range + bad + ")") << bad;
  EXPECT_EQ(error_of([&] { check_value(s, nlohmann::json(-1)); }), range + "-1)");
  EXPECT_EQ(error_of([&] { check_value(s, nlohmann::json::parse("18446744073709551616")); }),
            range + "1.8446744073709552e+19)");
  EXPECT_EQ(check_value(s, nlohmann::json(7)).get<uint64_t>(), 7u);
}

TEST(OptionSpec, FloatBoundsMayBeStrictAndRefuseNaNAndInfinity) {
  OptionSpec s;
  s.name = "init-std", s.type = OptionType::Float, s.min = 0, s.max = 100, s.min_open = true;
  EXPECT_EQ(parse_text(s, "0.5"), 0.5);
  EXPECT_EQ(parse_text(s, "100"), 100.0);
  for (const char* bad : {"-1", "0", "100.5", "nan", "inf", "abc", "1e999"})
    EXPECT_EQ(error_of([&] { parse_text(s, bad); }),
              std::string("--init-std must be a number in (0, 100] (got ") + bad + ")")
        << bad;
  s.note = "why";
  EXPECT_EQ(error_of([&] { check_value(s, nlohmann::json(-1.0)); }), "--init-std must be a number in (0, 100] (got -1.0): why");
}

TEST(OptionSpec, BooleansAndChoices) {
  OptionSpec b;
  b.name = "biases", b.type = OptionType::Bool;
  EXPECT_EQ(parse_text(b, "true"), true);
  EXPECT_EQ(parse_text(b, "FALSE"), false);
  EXPECT_EQ(error_of([&] { parse_text(b, "--steps"); }), "--biases must be true or false (got '--steps')");
  EXPECT_EQ(error_of([&] { check_value(b, nlohmann::json(1)); }), "--biases must be true or false (got 1)");
  OptionSpec c;
  c.name = "pos", c.type = OptionType::String, c.choices = {"none", "learned"};
  EXPECT_EQ(parse_text(c, "none"), "none");
  EXPECT_EQ(error_of([&] { parse_text(c, "sinusoidal"); }), "--pos must be one of none or learned (got \"sinusoidal\")");
}

TEST(OptionNames, BothSpellingsAndTheNearestName) {
  EXPECT_EQ(canonical_option_name("d_model"), "d-model");
  EXPECT_EQ(canonical_option_name("--d-model"), "d-model");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  const std::vector<std::string> names = {"d-model", "d-head", "heads", "steps", "weight-decay"};
  EXPECT_EQ(did_you_mean("d-modle", names), " (did you mean 'd-model'?)");
  EXPECT_EQ(did_you_mean("step", names), " (did you mean 'steps'?)");
  EXPECT_EQ(did_you_mean("weight_decy", names), " (did you mean 'weight-decay'?)");
  EXPECT_EQ(did_you_mean("temperature", names), "");
}

}  // namespace core_options_test
}  // namespace hc
