// libFuzzer target: the torch.save (.pt) reader (zip archive, restricted
// unpickler, tensor views) and the weight-layout loader behind it. Any bytes
// must give an hc::Error or a File, never a crash, a sanitizer report or an
// allocation the input's size does not justify.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "io/layouts.hpp"
#include "io/pickle.hpp"
#include "io/torch_pt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The unpickler on its own, so mutations reach it without a valid archive around them.
  try {
    (void)hc::pkl::load(bytes, "fuzz.pkl");
  } catch (const hc::Error&) {
  }
  hc::st::File f;
  try {
    f = hc::pt::parse(bytes, "fuzz.pt");
  } catch (const hc::Error&) {
    return 0;
  }
  for (const auto& t : f.tensors)
    if (t.bytes.size() != size_t(t.numel()) * hc::st::dtype_size(t.dtype)) __builtin_trap();  // shape and bytes disagree
  try {
    (void)hc::load_weights(f, std::nullopt, hc::ModelHints{12, 14, "max-of-list"});
  } catch (const hc::Error&) {
  }
  return 0;
}
