// read_file is the reader of every text input; it drops a UTF-8 byte-order
// mark at the start (and only there).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/atomic_file.hpp"

namespace hc {
namespace core_read_file_test {  // this file's own names (unity builds batch test files)
TEST(ReadFile, AByteOrderMarkAtTheStartIsDropped) {
  const std::string path = ::testing::TempDir() + "/hc_read_file_bom.txt";
  write_file_atomic(path, "\xEF\xBB\xBF{\"a\": 1}\n");
  EXPECT_EQ(read_file(path), "{\"a\": 1}\n");
  write_file_atomic(path, "x\xEF\xBB\xBF");
  EXPECT_EQ(read_file(path), "x\xEF\xBB\xBF");
  write_file_atomic(path, "\xEF\xBB");  // a partial mark is content
  EXPECT_EQ(read_file(path), "\xEF\xBB");
  std::filesystem::remove(path);
}

}  // namespace core_read_file_test
}  // namespace hc
