#pragma once
// Every file under a directory is named in docs/FORMATS.md (as `name`, or by
// a documented pattern such as `<step>`-free names): used by the docs tests
// of run directories, analyze, sweeps and reproduce.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/atomic_file.hpp"

namespace hc::testing {

inline void expect_files_documented(const std::string& dir, const std::string& what) {
  const std::string doc = read_file(std::string(HC_SOURCE_DIR) + "/docs/FORMATS.md");
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    ++n;
    const std::string name = e.path().filename().string();
    EXPECT_NE(doc.find("`" + name + "`"), std::string::npos)
        << what << " writes " << std::filesystem::relative(e.path(), dir).string() << ", which docs/FORMATS.md does not name";
  }
  EXPECT_GT(n, 0) << what << ": no files under " << dir;
}

}  // namespace hc::testing
