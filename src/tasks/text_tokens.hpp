#pragma once
// Internal to src/tasks: helpers shared by the two tasks' text parsers and
// samplers. Not part of the Task interface.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace hc {

// Splits a line of the text form into token names (whitespace-separated).
std::vector<std::string_view> split_tokens(std::string_view line);

// The first `len` tokens of `seq` as names, single spaces; `task` names the
// task in the errors (a sequence too short, an id outside the vocabulary).
std::string format_tokens(const std::string& task, const std::vector<std::string>& vocab,
                          const std::vector<int32_t>& seq, size_t len);

// Every parse error starts with "line N: " so load_text can point at it.
[[noreturn]] inline void line_error(int line_no, const std::string& reason) {
  throw Error("line " + std::to_string(line_no) + ": " + reason);
}

// Rejection sampling by content hash must terminate even for a configuration
// whose split happens to be (nearly) empty; past this many draws we report it.
inline constexpr int64_t kMaxSplitRejections = int64_t(1) << 26;

}  // namespace hc
