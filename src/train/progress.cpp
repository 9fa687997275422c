#include "train/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace hc {

Progress::Progress(int64_t total, bool enabled, int64_t first_step)
    : total_(total), first_(first_step), enabled_(enabled), tty_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::rate(int64_t step) const {
  const double e = elapsed();
  return e > 0 ? double(step - first_) / e : 0.0;
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) s = 0;
  const long t = long(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

void Progress::update(int64_t step, double loss, double accuracy) {
  if (!tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (step < total_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
  last_draw_ = now;
  const double r = rate(step);
  const double eta = r > 0 ? double(total_ - step) / r : 0;
  const int width = 24;
  const int filled = total_ > 0 ? int(double(width) * double(step) / double(total_)) : width;
  std::string bar(size_t(filled), '=');
  if (filled < width) bar += '>' + std::string(size_t(width - filled - 1), ' ');
  std::fprintf(stderr, "\r\033[K%7lld/%lld [%s] loss %.4f acc %5.1f%% %6.0f it/s ETA %s", (long long)step,
               (long long)total_, bar.c_str(), loss, 100 * accuracy, r, format_duration(eta).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::line(const std::string& text) {
  if (!enabled_) return;
  if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace hc
