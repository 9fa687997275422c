#pragma once
// Files are written whole or not at all: write a temporary file beside the
// target, flush it to disk, then rename it into place.
#include <string>
#include <string_view>

namespace hc {

// Writes `bytes` to `path` atomically. Throws hc::Error naming the path and the
// reason (for example a directory that does not exist or is not writable).
void write_file_atomic(const std::string& path, std::string_view bytes);

// Reads a whole file; throws hc::Error naming the path if it cannot.
std::string read_file(const std::string& path);

// Creates a directory (and parents) and checks that it is writable by creating
// and removing a probe file; throws hc::Error with a fix if not.
void ensure_writable_dir(const std::string& dir);

}  // namespace hc
