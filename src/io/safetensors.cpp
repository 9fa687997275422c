#include "io/safetensors.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hc::st {

namespace {

// Refuse headers above this before allocating anything: real headers are a few
// kB; a corrupt length prefix could otherwise ask for gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

constexpr DType kAllDTypes[] = {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64,
                                DType::I32, DType::I16, DType::I8,  DType::U8,   DType::BOOL};

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

// Element count of a shape, or false if a dim is negative or the product overflows int64.
bool checked_numel(const std::vector<int64_t>& shape, int64_t& out) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return false;
  }
  out = n;
  return true;
}

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Converts every element of `t` to Out; integer targets never see float dtypes.
template <class Out>
std::vector<Out> convert(const Tensor& t) {
  const int64_t n = t.numel();
  const size_t es = dtype_size(t.dtype);
  if (t.bytes.size() != size_t(n) * es) {
    throw Error("tensor '" + t.name + "' holds " + std::to_string(t.bytes.size()) +
                " bytes but its shape " + shape_str(t.shape) + " of " + dtype_name(t.dtype) +
                " needs " + std::to_string(size_t(n) * es));
  }
  std::vector<Out> out(static_cast<size_t>(n));
  const char* p = t.bytes.data();
  for (int64_t i = 0; i < n; ++i, p += es) {
    Out& o = out[size_t(i)];
    switch (t.dtype) {
      case DType::F64: o = Out(load<double>(p)); break;
      case DType::F32: o = Out(load<float>(p)); break;
      case DType::F16: o = Out(f16_to_f32(load<uint16_t>(p))); break;
      case DType::BF16: o = Out(bf16_to_f32(load<uint16_t>(p))); break;
      case DType::I64: o = Out(load<int64_t>(p)); break;
      case DType::I32: o = Out(load<int32_t>(p)); break;
      case DType::I16: o = Out(load<int16_t>(p)); break;
      case DType::I8: o = Out(load<int8_t>(p)); break;
      case DType::U8: o = Out(load<uint8_t>(p)); break;
      case DType::BOOL: o = Out(load<uint8_t>(p) != 0); break;
    }
  }
  return out;
}

template <class In>
Tensor make(std::string name, DType dt, std::vector<int64_t> shape, const In* data) {
  int64_t n = 0;
  if (!checked_numel(shape, n)) {
    throw Error("tensor '" + name + "': invalid shape " + shape_str(shape) +
                " (negative dimension or element count overflows int64)");
  }
  Tensor t{std::move(name), dt, std::move(shape), {}};
  t.bytes.assign(reinterpret_cast<const char*>(data), size_t(n) * sizeof(In));
  return t;
}

}  // namespace

std::string dtype_name(DType d) {
  switch (d) {
    case DType::F64: return "F64";
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::BOOL: return "BOOL";
  }
  return "?";
}

size_t dtype_size(DType d) {
  switch (d) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::I8: case DType::U8: case DType::BOOL: return 1;
  }
  return 1;
}

bool dtype_is_float(DType d) {
  return d == DType::F64 || d == DType::F32 || d == DType::F16 || d == DType::BF16;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half: normalise the mantissa into a normal float.
    int e = -1;
    do { mant <<= 1; ++e; } while (!(mant & 0x400u));
    bits = sign | uint32_t(112 - e) << 23 | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_f32(uint16_t b) {
  const uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

int64_t Tensor::numel() const {
  int64_t n = 0;
  if (!checked_numel(shape, n)) {
    throw Error("tensor '" + name + "': invalid shape " + shape_str(shape));
  }
  return n;
}

std::vector<float> Tensor::to_f32() const { return convert<float>(*this); }
std::vector<double> Tensor::to_f64() const { return convert<double>(*this); }

std::vector<int64_t> Tensor::to_i64() const {
  if (dtype_is_float(dtype)) {
    throw Error("tensor '" + name + "' has floating-point dtype " + dtype_name(dtype) +
                " but an integer tensor was expected (I64, I32, I16, I8, U8 or BOOL)");
  }
  return convert<int64_t>(*this);
}

Tensor Tensor::from_f32(std::string n, std::vector<int64_t> s, const float* d) { return make(std::move(n), DType::F32, std::move(s), d); }
Tensor Tensor::from_f64(std::string n, std::vector<int64_t> s, const double* d) { return make(std::move(n), DType::F64, std::move(s), d); }
Tensor Tensor::from_i64(std::string n, std::vector<int64_t> s, const int64_t* d) { return make(std::move(n), DType::I64, std::move(s), d); }
Tensor Tensor::from_i32(std::string n, std::vector<int64_t> s, const int32_t* d) { return make(std::move(n), DType::I32, std::move(s), d); }
Tensor Tensor::from_u8(std::string n, std::vector<int64_t> s, const uint8_t* d) { return make(std::move(n), DType::U8, std::move(s), d); }

const Tensor* File::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const Tensor& File::get(const std::string& name) const {
  if (const Tensor* t = find(name)) return *t;
  std::string avail;
  for (size_t i = 0; i < tensors.size() && i < 40; ++i) avail += (i ? ", " : "") + tensors[i].name;
  if (tensors.size() > 40) avail += ", ... (" + std::to_string(tensors.size()) + " in all)";
  throw Error(source + ": no tensor named '" + name + "' (the file has: " +
              (avail.empty() ? "no tensors" : avail) + "); check that this is the right file");
}

File parse(std::string_view bytes, const std::string& source) {
  auto fail = [&](const std::string& what) -> Error {
    return Error(source + ": not a valid safetensors file: " + what);
  };
  if (bytes.size() < 8) {
    throw fail("the file is only " + std::to_string(bytes.size()) +
               " bytes, shorter than the 8-byte header length (truncated file? re-export or re-download it)");
  }
  const uint64_t n = load<uint64_t>(bytes.data());
  if (n > kMaxHeaderBytes) {
    throw fail("header too large: the length prefix says " + std::to_string(n) +
               " bytes (limit 100 MB); the file is corrupt or not safetensors");
  }
  if (n > bytes.size() - 8) {
    throw fail("truncated file: the header should be " + std::to_string(n) + " bytes but only " +
               std::to_string(bytes.size() - 8) + " follow the length prefix (re-export or re-download it)");
  }
  const std::string_view header = bytes.substr(8, size_t(n));
  const std::string_view data = bytes.substr(8 + size_t(n));

  // nlohmann keeps only the last of duplicate keys, so catch them while parsing.
  std::set<std::string> seen;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header.begin(), header.end(),
                              [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json& v) {
                                if (depth == 1 && ev == nlohmann::json::parse_event_t::key &&
                                    !seen.insert(v.get<std::string>()).second)
                                  throw fail("duplicate tensor name '" + v.get<std::string>() + "' in the header");
                                return true;
                              });
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw fail("header is not a JSON object (found " + std::string(j.type_name()) + ")");

  struct Span { int64_t begin, end; size_t index; };
  std::vector<Span> spans;
  File f;
  f.source = source;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const auto& v = it.value();
    if (key == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m->is_string()) throw fail("__metadata__ value '" + m.key() + "' is not a string");
        f.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const std::string what = "tensor '" + key + "': ";
    if (!v.is_object()) throw fail(what + "header entry is not an object");
    if (!v.contains("dtype") || !v["dtype"].is_string()) throw fail(what + "missing string field 'dtype'");
    Tensor t;
    t.name = key;
    const std::string ds = v["dtype"].get<std::string>();
    bool known = false;
    for (DType d : kAllDTypes)
      if (dtype_name(d) == ds) { t.dtype = d; known = true; }
    if (!known) throw fail(what + "unknown dtype '" + ds + "' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
    if (!v.contains("shape") || !v["shape"].is_array()) throw fail(what + "missing array field 'shape'");
    for (const auto& d : v["shape"]) {
      // nlohmann stores non-negative integers as unsigned, negative ones as signed.
      if (!d.is_number_integer() || !d.is_number_unsigned())
        throw fail(what + "shape " + v["shape"].dump() + " has a negative or non-integer dimension");
      if (d.is_number_unsigned() && d.get<uint64_t>() > uint64_t(INT64_MAX))
        throw fail(what + "shape " + v["shape"].dump() + " overflows int64");
      t.shape.push_back(d.get<int64_t>());
    }
    int64_t numel = 0, nbytes = 0;
    if (!checked_numel(t.shape, numel) || __builtin_mul_overflow(numel, int64_t(dtype_size(t.dtype)), &nbytes))
      throw fail(what + "shape " + shape_str(t.shape) + " overflows int64 (element count too large)");
    const auto& off = v.contains("data_offsets") ? v["data_offsets"] : nlohmann::json();
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw fail(what + "data_offsets must be two non-negative integers [begin, end]");
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    if (e < b) throw fail(what + "data_offsets [" + std::to_string(b) + ", " + std::to_string(e) + "] end before they begin");
    if (e > data.size())
      throw fail(what + "header offsets out of range: data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                 "] but the data buffer has only " + std::to_string(data.size()) +
                 " bytes (truncated file? re-export or re-download it)");
    if (e - b != uint64_t(nbytes))
      throw fail(what + "byte size mismatch: data_offsets span " + std::to_string(e - b) + " bytes but shape " +
                 shape_str(t.shape) + " of " + ds + " needs " + std::to_string(nbytes));
    t.bytes.assign(data.data() + b, size_t(e - b));
    spans.push_back({int64_t(b), int64_t(e), f.tensors.size()});
    f.tensors.push_back(std::move(t));
  }
  // Overlap check over the data order; empty tensors occupy no bytes.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  int64_t max_end = 0;
  size_t max_idx = 0;
  for (const Span& s : spans) {
    if (s.begin == s.end) continue;
    if (s.begin < max_end)
      throw fail("overlapping tensors '" + f.tensors[max_idx].name + "' and '" + f.tensors[s.index].name +
                 "' share bytes in the data buffer");
    max_end = s.end;
    max_idx = s.index;
  }
  std::vector<Tensor> ordered;
  ordered.reserve(f.tensors.size());
  for (const Span& s : spans) ordered.push_back(std::move(f.tensors[s.index]));
  f.tensors = std::move(ordered);
  return f;
}

namespace {

// The bytes as they are: read_file() is for text and drops a byte-order mark.
std::string read_bytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error("cannot read '" + path + "': it is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "': " + std::strerror(errno) + " (check the path)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

File read(const std::string& path) { return parse(read_bytes(path), path); }

namespace {
std::string serialize_named(const File& f, const std::string& source) {
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (!f.metadata.empty()) h["__metadata__"] = f.metadata;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const Tensor& t : f.tensors) {
    if (t.name == "__metadata__" || !names.insert(t.name).second)
      throw Error(source + ": cannot write tensor name '" + t.name + "' twice or as a reserved name");
    const size_t expect = size_t(t.numel()) * dtype_size(t.dtype);
    if (t.bytes.size() != expect)
      throw Error(source + ": tensor '" + t.name + "' holds " + std::to_string(t.bytes.size()) +
                  " bytes but shape " + shape_str(t.shape) + " of " + dtype_name(t.dtype) + " needs " +
                  std::to_string(expect));
    h[t.name] = {{"dtype", dtype_name(t.dtype)},
                 {"shape", t.shape},
                 {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string header;
  try {
    header = h.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": cannot write the header (" + e.what() + "); names must be valid UTF-8");
  }
  // Pad with spaces so the data buffer starts 8-byte aligned, as the reference writer does.
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + header.size() + offset);
  const uint64_t n = header.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out += header;
  for (const Tensor& t : f.tensors) out += t.bytes;
  return out;
}
}  // namespace

std::string serialize(const File& f) { return serialize_named(f, f.source.empty() ? "safetensors output" : f.source); }

void write(const std::string& path, const File& f) {
  write_file_atomic(path, serialize_named(f, path));
}

}  // namespace hc::st
