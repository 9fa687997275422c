#pragma once
// Helpers shared by the task tests: temp files and error-message checks.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>

#include "../fixtures.hpp"
#include "core/error.hpp"

namespace hc::testing {


// A temp file that removes itself; unique per process and call so that tests
// running in parallel (ctest) never collide.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    static std::atomic<int> counter{0};
    path = (std::filesystem::temp_directory_path() /
            ("hc_tasks_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".txt"))
               .string();
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

// Runs f, requires an hc::Error, returns its message ("" if none was thrown).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected hc::Error";
  return "";
}

}  // namespace hc::testing
