#pragma once
// One sweep at a time per output directory. DIR/.lock is held with flock()
// for the whole sweep and names the holder's pid; a second sweep on the same
// --out refuses with that pid. The kernel drops a flock when its process dies,
// so the lock of a killed sweep is free again; the pid it left in the file
// (a clean exit empties it) is reported as recovered.
#include <string>

namespace hc {

class SweepLock {
 public:
  // Throws hc::Error naming the directory, the holder's pid and what to do.
  explicit SweepLock(const std::string& dir);
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;
  // The pid a dead sweep left in the lock file, 0 if none: for a note.
  long recovered_from() const { return recovered_; }
  static std::string path_in(const std::string& dir);  // DIR/.lock

 private:
  int fd_ = -1;
  long recovered_ = 0;
};

}  // namespace hc
