#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace hc {

namespace fs = std::filesystem;

namespace {

// What a non-regular file is, for messages.
std::string kind_of(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "an unknown kind of file";
}

}  // namespace

void check_replaceable_file(const std::string& path, const std::string& what) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  const std::string head = (what.empty() ? "" : what + " ") + "'" + path + "'";
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    const std::string to = fs::read_symlink(path, ec).string();
    throw Error("cannot write " + head + ": it is a symbolic link (to '" + to +
                "'), and headcount does not write through links: a new file renamed into place would replace the "
                "link (give the link's target as the path, or remove the link)");
  }
  throw Error("cannot write " + head + ": it is " + kind_of(st.st_mode) +
              ", not a regular file; headcount writes a new file and renames it into place, which would replace it "
              "(give the path of a regular file)");
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  check_replaceable_file(path);
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkstemp(tmp.data());
  if (fd < 0) {
    throw Error("cannot write '" + path + "': " + std::strerror(errno) +
                " (check that the directory '" + dir.string() + "' exists and is writable)");
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error("cannot write '" + path + "': " + std::strerror(e) + " (is the disk full?)");
    }
    done += size_t(n);
  }
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error("cannot write '" + path + "': " + std::strerror(e));
  }
  // Checked again just before the rename: the target may have changed while we wrote.
  try {
    check_replaceable_file(path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error("cannot move the finished file into place at '" + path + "': " + std::strerror(e));
  }
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw Error("cannot read '" + path + "': it is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read '" + path + "': " + std::strerror(errno) + " (check the path)");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // Every reader of text goes through here (evaluation sets, families files,
  // specs, config.json ...): a UTF-8 byte-order mark, which some editors
  // write and no one sees, is not part of the content. Binary files have
  // their own reader (io/safetensors.cpp).
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  return text;
}

void ensure_writable_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error("cannot create the output directory '" + dir + "': " + ec.message() +
                " (choose a location you can write to)");
  }
  if (!fs::is_directory(dir)) {
    throw Error("the output path '" + dir + "' exists and is not a directory (choose another --out)");
  }
  std::string probe = (fs::path(dir) / ".headcount-write-probe").string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    throw Error("the output directory '" + dir + "' is not writable: " + std::strerror(errno) +
                " (fix its permissions or choose another --out)");
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

DirState output_dir_state(const std::string& dir, const std::string& option) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    // Absent, or below a file: creating it gives the error that says so.
    if (errno == ENOENT || errno == ENOTDIR) return DirState::Absent;
    throw Error("cannot use " + option + " '" + dir + "': " + std::strerror(errno) + " (choose another " + option + ")");
  }
  if (S_ISLNK(st.st_mode) && ::stat(dir.c_str(), &st) != 0)
    throw Error(option + " '" + dir + "' is a symbolic link to nothing (remove the link or choose another " + option + ")");
  if (!S_ISDIR(st.st_mode))
    throw Error(option + " '" + dir + "' exists and is " + kind_of(st.st_mode) + ", not a directory (choose another " +
                option + ")");
  std::error_code ec;
  return fs::directory_iterator(dir, ec) == fs::directory_iterator() && !ec ? DirState::Empty : DirState::Filled;
}

StagedDir::StagedDir(std::string target) : target_(std::move(target)) {
  while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
  struct stat st;
  if (::lstat(target_.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    throw Error("'" + target_ + "' is a symbolic link; replacing it would replace the link, not the directory it "
                "points to (give the directory itself)");
  const fs::path t(target_);
  const fs::path parent = t.has_parent_path() ? t.parent_path() : fs::path(".");
  ensure_writable_dir(parent.string());
  std::string tmpl = (parent / ("." + t.filename().string() + ".new-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw Error("cannot create a directory beside '" + target_ + "': " + std::strerror(errno) +
                " (check that '" + parent.string() + "' is writable)");
  ::chmod(tmpl.c_str(), 0755);
  staging_ = tmpl;
}

StagedDir::~StagedDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void StagedDir::commit() {
  struct stat st;
  const bool exists = ::lstat(target_.c_str(), &st) == 0;
  if (!exists) {
    if (std::rename(staging_.c_str(), target_.c_str()) != 0)
      throw Error("cannot move the new directory '" + staging_ + "' to '" + target_ + "': " + std::strerror(errno));
    committed_ = true;
    return;
  }
  // One atomic swap where the file system has it: the old directory now sits at staging_.
  std::string old = staging_;
  if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
    const fs::path t(target_);
    old = (t.parent_path() / ("." + t.filename().string() + ".old-XXXXXX")).string();
    if (::mkdtemp(old.data()) == nullptr || std::rename(target_.c_str(), old.c_str()) != 0)
      throw Error("cannot move the old '" + target_ + "' aside: " + std::strerror(errno) +
                  " (the new one is complete in '" + staging_ + "')");
    if (std::rename(staging_.c_str(), target_.c_str()) != 0) {
      const int e = errno;
      std::rename(old.c_str(), target_.c_str());
      throw Error("cannot move the new directory '" + staging_ + "' to '" + target_ + "': " + std::strerror(e));
    }
  }
  committed_ = true;
  std::error_code ec;
  fs::remove_all(old, ec);
}

}  // namespace hc
