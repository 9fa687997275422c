#include "sweep/lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace hc {

namespace {

std::string read_all(int fd) {
  std::string s;
  char buf[64];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, size_t(n));
  return s;
}

long pid_in(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stol(text);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::string SweepLock::path_in(const std::string& dir) { return (std::filesystem::path(dir) / ".lock").string(); }

SweepLock::SweepLock(const std::string& dir) {
  const std::string path = path_in(dir);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error("cannot create the sweep lock " + path + ": " + std::strerror(errno) +
                " (check that the --out directory is writable)");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    const long holder = pid_in(read_all(fd_));
    ::close(fd_);
    fd_ = -1;
    if (e == EWOULDBLOCK)
      throw Error("another sweep" + (holder ? " (pid " + std::to_string(holder) + ")" : std::string()) +
                  " is writing to " + dir + " (it holds " + path +
                  "); wait for it to finish, or give this sweep another --out");
    throw Error("cannot lock " + path + ": " + std::strerror(e));
  }
  // We hold the lock, so whoever wrote a pid here is gone (or was us, earlier).
  const long left = pid_in(read_all(fd_));
  if (left > 0 && left != long(::getpid()) && !(::kill(pid_t(left), 0) == 0 || errno == EPERM)) recovered_ = left;
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != ssize_t(me.size()))
    throw Error("cannot write the sweep lock " + path + ": " + std::strerror(errno));
}

SweepLock::~SweepLock() {
  if (fd_ < 0) return;
  // Emptied on a clean exit: a pid left in the file means its sweep died.
  if (::ftruncate(fd_, 0) != 0) {
  }
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace hc
