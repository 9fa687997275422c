// Limits: absurd sizes in a safetensors header, a config or on the command line
// are refused with a clear error before anything of that size is allocated.
// Each input here would ask for gigabytes (or overflow) if it were trusted; the
// test finishing in milliseconds with the message is the proof it was not.
#include <gtest/gtest.h>

#include <filesystem>

#include "../cli/cli_util.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/layouts.hpp"
#include "io/safetensors.hpp"
#include "model/config.hpp"
#include "train/trainer.hpp"

namespace hc {
namespace reliability_limits_test {  // this file's own names (unity builds batch test files)
using testing::run_cli;

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[size_t(i)] = char((n >> (8 * i)) & 0xFF);
  return s;
}

std::string header_file(const std::string& header, size_t data_bytes = 0) {
  return le64(header.size()) + header + std::string(data_bytes, '\0');
}

void expect_parse_error(const std::string& bytes, const std::string& phrase) {
  try {
    st::parse(bytes, "limits.safetensors");
    ADD_FAILURE() << "accepted; expected '" << phrase << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("limits.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Limits, HugeHeaderLengthIsRefusedBeforeReading) {
  expect_parse_error(le64(100'000'001) + "{}", "header too large");
  expect_parse_error(le64(~0ull) + "{}", "header too large");
  // Within the bound but longer than the file: truncated, not an allocation.
  expect_parse_error(le64(99'000'000) + "{}", "truncated file");
}

TEST(Limits, ShapesWhoseProductOverflowsAreRefused) {
  expect_parse_error(header_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4),
                     "overflows int64");
  // Fits int64 as elements but not as bytes (x 8 for F64).
  expect_parse_error(header_file(R"({"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}})", 8),
                     "overflows int64");
  expect_parse_error(header_file(R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}})", 4),
                     "overflows int64");
  expect_parse_error(header_file(R"({"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,4]}})", 4), "negative");
}

TEST(Limits, HugeTensorsClaimedByTheHeaderAreRefused) {
  // D = 10^9 in a weights header: 56 GB of F32 that the file does not hold.
  expect_parse_error(header_file(R"({"embed.W_E":{"dtype":"F32","shape":[14,1000000000],"data_offsets":[0,56000000000]}})", 16),
                     "out of range");
  expect_parse_error(header_file(R"({"embed.W_E":{"dtype":"F32","shape":[14,1000000000],"data_offsets":[0,16]}})", 16),
                     "byte size mismatch");
}

TEST(Limits, WeightsWhoseShapesGiveAnAbsurdModelAreRefused) {
  // Zero-sized tensors cost no bytes, so only the layout's dimension checks stand
  // between their shapes and a multi-gigabyte parameter buffer.
  st::File f;
  f.source = "absurd.safetensors";
  f.tensors.push_back(st::Tensor::from_f32("embed.W_E", {14, 0}, nullptr));
  f.tensors.push_back(st::Tensor::from_f32("blocks.0.attn.W_Q", {1000000000, 0, 1}, nullptr));
  const st::File g = st::parse(st::serialize(f), "absurd.safetensors");
  try {
    load_weights(g, Layout::Native, ModelHints{12, 14, "max-of-list"});
    FAIL() << "accepted absurd shapes";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("absurd.safetensors"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("which no model can have"), std::string::npos) << e.what();
  }
}

TEST(Limits, ConfigFieldsAreBounded) {
  nlohmann::json j = {{"d_model", 1000000000}};
  EXPECT_THROW(model_config_from_json(j, "config.json"), Error);
  j = {{"d_model", 4294967296ll}};  // does not fit an int
  EXPECT_THROW(model_config_from_json(j, "config.json"), Error);
  // 2^32 + 64 used to wrap silently to d_model = 64 (nlohmann's get<int>()).
  j = {{"d_model", 4294967360ll}};
  try {
    model_config_from_json(j, "config.json");
    FAIL() << "2^32 + 64 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "config.json: model field 'd_model' = 4294967360 is out of range [-2147483648, 2147483647]");
  }
  // A float where an integer belongs was undefined behaviour (found by fuzz/config_fuzz.cpp).
  auto train = default_train_config("count01");
  nlohmann::json t = to_json(train);
  t["steps"] = 8.9e121;
  try {
    train_config_from_json(t, "run/config.json");
    FAIL() << "a float step count was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "run/config.json: field 'steps' must be an integer (got 8.9e+121)");
  }
  t["steps"] = 3000;
  t["seed"] = -1;
  EXPECT_THROW(train_config_from_json(t, "run/config.json"), Error);
  t["seed"] = 18446744073709551615ull;  // the largest seed is fine
  EXPECT_EQ(train_config_from_json(t, "run/config.json").seed, 18446744073709551615ull);
  // Every dimension in range, the attention activations are not.
  j = {{"n_layers", 64}, {"n_heads", 1024}, {"n_ctx", 65536}, {"d_model", 8}, {"d_head", 1}};
  try {
    model_config_from_json(j, "config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("attention entries per example"), std::string::npos) << e.what();
  }
  // A batch whose per-chunk gradient buffers would not fit in memory.
  TrainConfig c = default_train_config("max-of-list");
  c.model.d_model = 4096, c.model.n_heads = 64, c.model.d_head = 64;
  c.batch = 1000000;
  try {
    c.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gradient buffers"), std::string::npos) << e.what();
  }
}

TEST(Limits, AbsurdDModelOnTheCommandLineIsRefused) {
  const std::string dir = testing::temp_dir("limits-cli");
  auto r = run_cli("train --task count01 --d-model 1000000000 --d-head 2 --out " + dir + "/run");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("--d-model must be an integer between 1 and 65536 (got 1000000000)"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/run"));
  r = run_cli("train --task count01 --d-model 10000000000 --out " + dir + "/run");  // beyond int
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("--d-model"), std::string::npos) << r.output;
}

TEST(Limits, RunDirectoryConfigWithAbsurdSizeIsRefused) {
  const std::string dir = testing::temp_dir("limits-config");
  auto r = run_cli("train --task count01 --steps 2 --eval-size 10 --quiet --out " + dir + "/run");
  ASSERT_EQ(r.code, 0) << r.output;
  auto cfg = nlohmann::json::parse(read_file(dir + "/run/config.json"));
  cfg["model"]["d_model"] = 1000000000;
  write_file_atomic(dir + "/run/config.json", cfg.dump());
  r = run_cli("eval " + dir + "/run");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(dir + "/run/config.json"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("d_model = 1000000000 must be in [1, 65536]"), std::string::npos) << r.output;
}

}  // namespace reliability_limits_test
}  // namespace hc
