// libFuzzer target: the safetensors reader and the weight-layout loader.
// Any bytes must give an hc::Error or a File, never a crash, a sanitizer
// report or an allocation the input's size does not justify.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "io/layouts.hpp"
#include "io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  hc::st::File f;
  try {
    f = hc::st::parse(bytes, "fuzz.safetensors");
  } catch (const hc::Error&) {
    return 0;
  }
  // Whatever parses converts, re-serializes and loads as weights cleanly or with hc::Error.
  for (const auto& t : f.tensors) {
    try {
      (void)t.to_f64();
      (void)t.to_i64();
    } catch (const hc::Error&) {
    }
  }
  try {
    const std::string again = hc::st::serialize(f);
    const hc::st::File g = hc::st::parse(again, "fuzz-roundtrip.safetensors");
    if (g.tensors.size() != f.tensors.size()) __builtin_trap();  // serialize/parse disagree
  } catch (const hc::Error&) {
  }
  try {
    (void)hc::load_weights(f, std::nullopt, hc::ModelHints{12, 14, "max-of-list"});
  } catch (const hc::Error&) {
  }
  return 0;
}
