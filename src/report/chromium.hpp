#pragma once
// Headless Chromium, for the report's PNG export (and the browser test): find
// the binary, run it with flags that keep it off the network and away from the
// user's profile, and collect what it prints.
#include <string>
#include <vector>

namespace hc {

// The Chromium binary: $HEADCOUNT_CHROMIUM when set (it must exist), else the
// first of chromium, chromium-browser, google-chrome, google-chrome-stable on
// PATH; "" when there is none.
std::string find_chromium();

struct ChromiumResult {
  int code = -1;          // exit status; 124 when it ran past the time limit
  std::string out;        // stdout (e.g. the DOM with --dump-dom)
  std::string err;        // stderr
};

// Runs `binary --headless --no-sandbox --disable-gpu --disable-background-networking
// --disable-component-update --disable-sync --no-first-run --user-data-dir=<fresh
// temporary dir>` plus `args`, killed after `timeout_s` seconds. The temporary
// profile is removed afterwards.
ChromiumResult run_chromium(const std::string& binary, const std::vector<std::string>& args, int timeout_s = 60);

// file:// URL of a local path (made absolute), with an optional #fragment.
std::string file_url(const std::string& path, const std::string& fragment = "");

}  // namespace hc
