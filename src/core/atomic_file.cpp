#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace hc {

namespace fs = std::filesystem;

void write_file_atomic(const std::string& path, std::string_view bytes) {
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

}  // namespace hc
