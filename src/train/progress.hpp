#pragma once
// Progress on stderr: a redrawn bar on a terminal, plain periodic lines
// otherwise (logs, CI, pipes).
#include <chrono>
#include <cstdint>
#include <string>

namespace hc {

class Progress {
 public:
  // first_step: where a resumed run starts, so that rates count this session only.
  Progress(int64_t total, bool enabled, int64_t first_step = 0);
  // Redraws the bar (rate-limited) or, when not on a terminal, does nothing.
  void update(int64_t step, double loss, double accuracy);
  // A plain line, always (eval results); on a terminal it is printed above the bar.
  void line(const std::string& text);
  void finish();
  double elapsed() const;
  double rate(int64_t step) const;  // steps per second so far

 private:
  int64_t total_, first_;
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

std::string format_duration(double seconds);  // "1:05" or "1:02:03"

}  // namespace hc
