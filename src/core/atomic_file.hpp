#pragma once
// Files are written whole or not at all: write a temporary file beside the
// target, flush it to disk, then rename it into place. A rename would replace
// a symbolic link, a FIFO or a device with a regular file, so those targets are
// refused rather than followed. Directories that replace an old one are built
// beside it and swapped in whole (StagedDir).
#include <string>
#include <string_view>

namespace hc {

// Writes `bytes` to `path` atomically. Throws hc::Error naming the path and the
// reason (for example a directory that does not exist or is not writable, or a
// target that is a symbolic link, FIFO, device, socket or directory).
void write_file_atomic(const std::string& path, std::string_view bytes);

// Throws hc::Error unless `path` is absent or a regular file (what
// write_file_atomic may replace). `what` names the path in the message, e.g. "--out".
void check_replaceable_file(const std::string& path, const std::string& what = "");

// Reads a whole file; throws hc::Error naming the path if it cannot.
std::string read_file(const std::string& path);

// Creates a directory (and parents) and checks that it is writable by creating
// and removing a probe file; throws hc::Error with a fix if not.
void ensure_writable_dir(const std::string& dir);

// What is at an output directory path: nothing, an empty directory, or a
// directory with something in it. Throws hc::Error if the path is a file or
// another non-directory (naming `option`, e.g. "--out").
enum class DirState { Absent, Empty, Filled };
DirState output_dir_state(const std::string& dir, const std::string& option);

// A directory built beside `target` (as TARGET_PARENT/.NAME.new-XXXXXX) that
// replaces it whole on commit(): the new directory is swapped in with one
// rename (renameat2 RENAME_EXCHANGE, or two renames where the file system
// lacks it), and only then is the old one removed. Until commit() the old
// directory is untouched; destroyed without commit(), the staging directory is
// removed. `target` must not be a symbolic link.
class StagedDir {
 public:
  explicit StagedDir(std::string target);
  ~StagedDir();
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;
  const std::string& path() const { return staging_; }  // write here
  const std::string& target() const { return target_; }
  void commit();

 private:
  std::string target_, staging_;
  bool committed_ = false;
};

}  // namespace hc
