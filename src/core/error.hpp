#pragma once
// One exception type for everything a user can get wrong. The message names
// the input, the problem and the fix; the CLI prints it and exits non-zero.
#include <stdexcept>
#include <string>

namespace hc {

struct Error : std::runtime_error {
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace hc
