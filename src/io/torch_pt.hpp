#pragma once
// torch.save state dicts (the zip format of PyTorch >= 1.6) read without
// running anything: the archive (io/torch_zip) and the restricted unpickler
// (io/pickle) give tensor views of raw storages, which are checked here
// (dtype, sizes, strides and offsets against the storage's real byte size)
// and copied out as contiguous F32 tensors in the same st::File the
// safetensors reader produces, so layout detection and loading are shared.
// float32 and float64 (converted to float32) little-endian tensors are read,
// and bool ones (TransformerLens's causal-mask buffers, which the layouts
// ignore) as BOOL; every other dtype is refused with the fix.
#include <string>
#include <string_view>

#include "io/safetensors.hpp"

namespace hc::pt {

// Parses a whole .pt file held in memory; `source` names it in error messages.
st::File parse(std::string_view bytes, const std::string& source);
st::File read(const std::string& path);

// The first bytes of PyTorch's pre-1.6 (legacy, non-zip) torch.save format.
bool looks_like_legacy(std::string_view head);

}  // namespace hc::pt
