// Atomic writes refuse what a rename would silently replace (symbolic links,
// FIFOs, devices, directories); StagedDir replaces a directory whole, and only
// once the new one is complete.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "../cli/cli_util.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hc {
namespace core_atomic_file_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Names in a directory, sorted.
std::vector<std::string> names(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

TEST(AtomicFile, ReplacesARegularFile) {
  const std::string d = testing::temp_dir("atomic-regular");
  write_file_atomic(d + "/a.txt", "old");
  write_file_atomic(d + "/a.txt", "new");
  EXPECT_EQ(read_file(d + "/a.txt"), "new");
  EXPECT_EQ(names(d), std::vector<std::string>{"a.txt"});  // no temporary left
}

TEST(AtomicFile, RefusesToReplaceASymbolicLink) {
  const std::string d = testing::temp_dir("atomic-link");
  write_file_atomic(d + "/target.txt", "kept");
  fs::create_symlink("target.txt", d + "/link.txt");
  const std::string msg = error_of([&] { write_file_atomic(d + "/link.txt", "new"); });
  EXPECT_NE(msg.find("is a symbolic link (to 'target.txt')"), std::string::npos) << msg;
  EXPECT_NE(msg.find("remove the link"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_symlink(d + "/link.txt"));
  EXPECT_EQ(read_file(d + "/target.txt"), "kept");
  EXPECT_EQ(names(d), (std::vector<std::string>{"link.txt", "target.txt"}));
  // A dangling link too.
  fs::create_symlink("nowhere", d + "/dangling");
  EXPECT_NE(error_of([&] { write_file_atomic(d + "/dangling", "x"); }).find("symbolic link"), std::string::npos);
  EXPECT_TRUE(fs::is_symlink(d + "/dangling"));
}

TEST(AtomicFile, RefusesToReplaceAFifoADeviceOrADirectory) {
  const std::string d = testing::temp_dir("atomic-special");
  ASSERT_EQ(::mkfifo((d + "/pipe").c_str(), 0644), 0);
  std::string msg = error_of([&] { write_file_atomic(d + "/pipe", "x"); });
  EXPECT_NE(msg.find("'" + d + "/pipe': it is a FIFO (named pipe), not a regular file"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_fifo(d + "/pipe"));
  // A device is checked without writing: a broken check must not replace /dev/null.
  msg = error_of([&] { check_replaceable_file("/dev/null", "--out"); });
  EXPECT_EQ(msg, "cannot write --out '/dev/null': it is a character device, not a regular file; headcount writes a new "
                 "file and renames it into place, which would replace it (give the path of a regular file)");
  fs::create_directories(d + "/sub");
  msg = error_of([&] { write_file_atomic(d + "/sub", "x"); });
  EXPECT_NE(msg.find("it is a directory"), std::string::npos) << msg;
  EXPECT_EQ(names(d), (std::vector<std::string>{"pipe", "sub"}));
}

TEST(OutputDirState, TellsAbsentEmptyAndFilledAndRefusesFiles) {
  const std::string d = testing::temp_dir("dir-state");
  EXPECT_EQ(output_dir_state(d + "/none", "--out"), DirState::Absent);
  EXPECT_EQ(output_dir_state(d, "--out"), DirState::Empty);
  write_file_atomic(d + "/f", "x");
  EXPECT_EQ(output_dir_state(d, "--out"), DirState::Filled);
  EXPECT_EQ(error_of([&] { output_dir_state(d + "/f", "--out"); }),
            "--out '" + d + "/f' exists and is a regular file, not a directory (choose another --out)");
}

TEST(StagedDir, CommitReplacesTheDirectoryWholeAndLeavesNothingBeside) {
  const std::string parent = testing::temp_dir("staged");
  const std::string target = parent + "/run";
  fs::create_directories(target + "/analysis");
  write_file_atomic(target + "/analysis/old.csv", "old");
  write_file_atomic(target + "/checkpoint.safetensors", "old");
  {
    StagedDir s(target);
    EXPECT_NE(s.path(), target);
    EXPECT_EQ(fs::path(s.path()).parent_path(), fs::path(parent));
    write_file_atomic(s.path() + "/model.safetensors", "new");
    // Until commit the old directory is as it was.
    EXPECT_EQ(read_file(target + "/checkpoint.safetensors"), "old");
    s.commit();
  }
  EXPECT_EQ(names(target), std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(read_file(target + "/model.safetensors"), "new");
  EXPECT_EQ(names(parent), std::vector<std::string>{"run"});  // neither the staging nor the old directory
}

TEST(StagedDir, WithoutCommitTheOldDirectoryStaysAndTheNewOneGoes) {
  const std::string parent = testing::temp_dir("staged-abandon");
  fs::create_directories(parent + "/run");
  write_file_atomic(parent + "/run/keep", "old");
  {
    StagedDir s(parent + "/run");
    write_file_atomic(s.path() + "/half", "x");
  }
  EXPECT_EQ(names(parent), std::vector<std::string>{"run"});
  EXPECT_EQ(read_file(parent + "/run/keep"), "old");
  // Into a path that does not exist yet: a plain rename.
  {
    StagedDir s(parent + "/fresh/");
    write_file_atomic(s.path() + "/a", "x");
    s.commit();
  }
  EXPECT_EQ(names(parent + "/fresh"), std::vector<std::string>{"a"});
  EXPECT_EQ(names(parent), (std::vector<std::string>{"fresh", "run"}));
}

TEST(StagedDir, RefusesASymbolicLink) {
  const std::string parent = testing::temp_dir("staged-link");
  fs::create_directories(parent + "/real");
  fs::create_directory_symlink("real", parent + "/link");
  const std::string msg = error_of([&] { StagedDir s(parent + "/link"); });
  EXPECT_NE(msg.find("is a symbolic link"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_symlink(parent + "/link"));
}

}  // namespace core_atomic_file_test
}  // namespace hc
