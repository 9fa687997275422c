#pragma once
// Reader and writer for the safetensors format: an 8-byte little-endian u64
// header length N, N bytes of JSON header
//   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {string: string}}   (optional)
// then the data buffer; offsets are relative to the start of the buffer.
// Everything a malformed file can get wrong is checked before it is trusted
// (sizes before allocation, offsets before slicing), so a bad file gives an
// hc::Error naming the file, the problem and the fix, never a crash.
// Little-endian hosts only (x86, ARM in its usual mode).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hc::st {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

std::string dtype_name(DType d);  // "F32", ...
size_t dtype_size(DType d);       // bytes per element
bool dtype_is_float(DType d);     // F64, F32, F16, BF16

// IEEE half and bfloat16 bit patterns to float (exact: every value is representable).
float f16_to_f32(uint16_t h);
float bf16_to_f32(uint16_t b);

struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // row-major; [] is a scalar with one element
  std::string bytes;           // raw little-endian element data, numel * dtype_size

  int64_t numel() const;
  // Conversions check that bytes.size() matches the shape, then convert each
  // element (integers and BOOL convert exactly where the target can hold them).
  std::vector<float> to_f32() const;
  std::vector<double> to_f64() const;
  // Integer and BOOL tensors only; throws hc::Error for floating-point dtypes.
  std::vector<int64_t> to_i64() const;

  static Tensor from_f32(std::string name, std::vector<int64_t> shape, const float* data);
  static Tensor from_f64(std::string name, std::vector<int64_t> shape, const double* data);
  static Tensor from_i64(std::string name, std::vector<int64_t> shape, const int64_t* data);
  static Tensor from_i32(std::string name, std::vector<int64_t> shape, const int32_t* data);
  static Tensor from_u8(std::string name, std::vector<int64_t> shape, const uint8_t* data);
};

struct File {
  std::map<std::string, std::string> metadata;  // "__metadata__"
  std::vector<Tensor> tensors;  // parse: in data order; serialize: written in this order
  std::string source;           // file name used in error messages

  const Tensor* find(const std::string& name) const;
  // Throws hc::Error naming the file and the missing tensor, listing available names.
  const Tensor& get(const std::string& name) const;
};

// Parses a whole file held in memory; `source` names it in error messages.
File parse(std::string_view bytes, const std::string& source);
File read(const std::string& path);
// Header padded with spaces to a multiple of 8 bytes; tensors contiguous in
// vector order; __metadata__ written first when non-empty. Throws hc::Error for
// duplicate names or a tensor whose bytes do not match its shape.
std::string serialize(const File& f);
void write(const std::string& path, const File& f);  // atomic

}  // namespace hc::st
