#pragma once
// A weights file of any format headcount reads, told apart by its first bytes
// (not its name): a zip archive is a torch.save state dict (io/torch_pt),
// anything else is read as safetensors. PyTorch's pre-1.6 format is refused
// with the fix.
#include <string>

#include "io/safetensors.hpp"

namespace hc {

st::File read_weights_file(const std::string& path);

}  // namespace hc
