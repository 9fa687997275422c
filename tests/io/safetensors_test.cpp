#include "io/safetensors.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/error.hpp"

namespace hc::st {
namespace io_safetensors_test {  // this file's own names (unity builds batch test files)
const std::string kSrc = "bad.safetensors";

// A file from a raw header string and data buffer (the prefix is the header's length).
std::string raw_file(const std::string& header, const std::string& data, uint64_t n = UINT64_MAX) {
  if (n == UINT64_MAX) n = header.size();
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

Tensor raw_tensor(std::string name, DType dt, std::vector<int64_t> shape, std::string bytes) {
  return Tensor{std::move(name), dt, std::move(shape), std::move(bytes)};
}

template <class T>
std::string as_bytes(std::initializer_list<T> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * sizeof(T));
}

File every_dtype_file() {
  File f;
  f.metadata = {{"format", "pt"}, {"note", "every dtype"}};
  const double f64[] = {1.5, -2.25, 1e300};
  const float f32[] = {0.1f, -3.0f, 1e-40f, 7.0f};
  const int64_t i64[] = {-5, int64_t(1) << 40};
  const int32_t i32[] = {-7, 123456, 0};
  const uint8_t u8[] = {0, 200, 255, 1};
  f.tensors.push_back(Tensor::from_f64("a.f64", {3}, f64));
  f.tensors.push_back(Tensor::from_f32("b.f32", {2, 2}, f32));
  // F16: 1.0, -2.0, smallest subnormal 2^-24, +inf. BF16: 1.0, -0.5.
  f.tensors.push_back(raw_tensor("c.f16", DType::F16, {4}, as_bytes<uint16_t>({0x3C00, 0xC000, 0x0001, 0x7C00})));
  f.tensors.push_back(raw_tensor("d.bf16", DType::BF16, {1, 2}, as_bytes<uint16_t>({0x3F80, 0xBF00})));
  f.tensors.push_back(Tensor::from_i64("e.i64", {2}, i64));
  f.tensors.push_back(Tensor::from_i32("f.i32", {3, 1}, i32));
  f.tensors.push_back(raw_tensor("g.i16", DType::I16, {2}, as_bytes<int16_t>({-300, 300})));
  f.tensors.push_back(raw_tensor("h.i8", DType::I8, {3}, as_bytes<int8_t>({-128, 0, 127})));
  f.tensors.push_back(Tensor::from_u8("i.u8", {4}, u8));
  f.tensors.push_back(raw_tensor("j.bool", DType::BOOL, {3}, as_bytes<uint8_t>({1, 0, 1})));
  f.tensors.push_back(raw_tensor("k.scalar", DType::F32, {}, as_bytes<float>({42.0f})));
  f.tensors.push_back(raw_tensor("l.empty", DType::F32, {0, 3}, ""));
  return f;
}

TEST(Safetensors, RoundTripEveryDtypeIsBitIdentical) {
  const File f = every_dtype_file();
  const std::string bytes = serialize(f);
  const File g = parse(bytes, "mem");
  ASSERT_EQ(g.tensors.size(), f.tensors.size());
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    EXPECT_EQ(g.tensors[i].name, f.tensors[i].name);  // data order = write order
    EXPECT_EQ(g.tensors[i].dtype, f.tensors[i].dtype) << f.tensors[i].name;
    EXPECT_EQ(g.tensors[i].shape, f.tensors[i].shape) << f.tensors[i].name;
    EXPECT_EQ(g.tensors[i].bytes, f.tensors[i].bytes) << f.tensors[i].name;
  }
  EXPECT_EQ(g.metadata, f.metadata);
  EXPECT_EQ(serialize(g), bytes);  // re-serialising changes nothing
}

TEST(Safetensors, HeaderIsPaddedToEightBytesAndDataFollows) {
  const std::string bytes = serialize(every_dtype_file());
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.front(), '{');
  EXPECT_NE(header.find("\"__metadata__\""), std::string::npos);
  // The first tensor's bytes start right after the header.
  const double first = 1.5;
  EXPECT_EQ(std::memcmp(bytes.data() + 8 + n, &first, 8), 0);
}

TEST(Safetensors, ConversionsGiveExactValues) {
  const File f = parse(serialize(every_dtype_file()), "mem");
  EXPECT_EQ(f.get("a.f64").to_f64(), (std::vector<double>{1.5, -2.25, 1e300}));
  const auto h = f.get("c.f16").to_f32();
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], -2.0f);
  EXPECT_EQ(h[2], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(h[3]) && h[3] > 0);
  EXPECT_EQ(f.get("d.bf16").to_f32(), (std::vector<float>{1.0f, -0.5f}));
  EXPECT_EQ(f.get("e.i64").to_i64(), (std::vector<int64_t>{-5, int64_t(1) << 40}));
  EXPECT_EQ(f.get("g.i16").to_i64(), (std::vector<int64_t>{-300, 300}));
  EXPECT_EQ(f.get("h.i8").to_i64(), (std::vector<int64_t>{-128, 0, 127}));
  EXPECT_EQ(f.get("i.u8").to_i64(), (std::vector<int64_t>{0, 200, 255, 1}));
  EXPECT_EQ(f.get("j.bool").to_f32(), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(f.get("k.scalar").numel(), 1);
  EXPECT_EQ(f.get("k.scalar").to_f32(), std::vector<float>{42.0f});
  EXPECT_EQ(f.get("l.empty").numel(), 0);
  EXPECT_THROW(f.get("b.f32").to_i64(), hc::Error);
}

TEST(Safetensors, F16SubnormalAndNormalBoundaries) {
  EXPECT_EQ(f16_to_f32(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));     // smallest normal
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
}

TEST(Safetensors, WriteAndReadFileAtomically) {
  const std::string path = ::testing::TempDir() + "/hc_st_roundtrip.safetensors";
  write(path, every_dtype_file());
  const File g = read(path);
  EXPECT_EQ(g.source, path);
  EXPECT_EQ(serialize(g), serialize(every_dtype_file()));
  std::filesystem::remove(path);
}

TEST(Safetensors, GetMissingNamesFileAndListsTensors) {
  File f = parse(serialize(every_dtype_file()), "weights.safetensors");
  EXPECT_EQ(f.find("nope"), nullptr);
  try {
    f.get("nope");
    FAIL() << "expected hc::Error";
  } catch (const hc::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("weights.safetensors"), std::string::npos) << m;
    EXPECT_NE(m.find("'nope'"), std::string::npos) << m;
    EXPECT_NE(m.find("b.f32"), std::string::npos) << m;
  }
}

// Parses `bytes` as kSrc and returns the hc::Error message ("" if it parsed).
std::string parse_error(const std::string& bytes) {
  try {
    parse(bytes, kSrc);
  } catch (const hc::Error& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::string& bytes, const std::string& phrase) {
  const std::string m = parse_error(bytes);
  EXPECT_NE(m.find(kSrc), std::string::npos) << "message does not name the file: " << m;
  EXPECT_NE(m.find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << m;
}

const std::string kData8(8, '\0');

TEST(Safetensors, MalformedLengthPrefix) {
  expect_error("abc", "truncated file");
  expect_error(raw_file("{}", "", 1000), "truncated file");
  expect_error(raw_file("{}", "", uint64_t(1) << 40), "header too large");
  expect_error(raw_file("{}", "", UINT64_MAX - 1), "header too large");
}

TEST(Safetensors, MalformedHeaderJson) {
  expect_error(raw_file("{not json", ""), "not valid JSON");
  expect_error(raw_file("[1, 2]", ""), "not a JSON object");
  expect_error(raw_file(R"({"a": {"dtype": "F8", "shape": [2], "data_offsets": [0, 2]}})", "xx"), "unknown dtype 'F8'");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [2]}})", kData8), "data_offsets must be");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0]}})", kData8), "data_offsets must be");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [-1, 8]}})", kData8), "data_offsets must be");
  expect_error(raw_file(R"({"__metadata__": {"k": 3}})", ""), "__metadata__");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                            "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", kData8),
               "duplicate tensor name 'a'");
}

TEST(Safetensors, MalformedShapes) {
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", kData8), "negative");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})", kData8), "negative or non-integer");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}})", kData8),
               "overflows int64");
  // numel fits but numel * 8 bytes does not.
  expect_error(raw_file(R"({"a": {"dtype": "F64", "shape": [2305843009213693952], "data_offsets": [0, 8]}})", kData8),
               "overflows int64");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 8]}})", kData8),
               "overflows int64");
}

TEST(Safetensors, MalformedOffsets) {
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [25], "data_offsets": [0, 100]}})", kData8),
               "header offsets out of range");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", kData8), "end before");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", kData8), "byte size mismatch");
  expect_error(raw_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                            "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", kData8),
               "overlapping tensors");
}

TEST(Safetensors, TruncatedDataIsReported) {
  const std::string good = serialize(every_dtype_file());
  ASSERT_EQ(parse_error(good), "");
  expect_error(good.substr(0, good.size() - 3), "truncated");
  expect_error(good.substr(0, 20), "truncated file");
}

TEST(Safetensors, SerializeRejectsInconsistentTensors) {
  File f;
  f.tensors.push_back(raw_tensor("a", DType::F32, {3}, std::string(8, '\0')));
  EXPECT_THROW(serialize(f), hc::Error);
  File g;
  const float x[] = {1.0f};
  g.tensors.push_back(Tensor::from_f32("a", {1}, x));
  g.tensors.push_back(Tensor::from_f32("a", {1}, x));
  EXPECT_THROW(serialize(g), hc::Error);
}

}  // namespace
}  // namespace hc::st
