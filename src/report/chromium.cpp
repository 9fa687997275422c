#include "report/chromium.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hc {

namespace fs = std::filesystem;

namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

bool executable(const fs::path& p) { return fs::is_regular_file(p) && ::access(p.c_str(), X_OK) == 0; }

}  // namespace

std::string find_chromium() {
  if (const char* env = std::getenv("HEADCOUNT_CHROMIUM"); env && *env) {
    if (!executable(env))
      throw Error("HEADCOUNT_CHROMIUM is '" + std::string(env) +
                  "', which is not an executable file (point it at chromium, or unset it)");
    return env;
  }
  const char* path = std::getenv("PATH");
  if (!path) return "";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && executable(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  }
  return "";
}

std::string file_url(const std::string& path, const std::string& fragment) {
  std::string url = "file://";
  for (char c : fs::absolute(path).lexically_normal().string()) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || std::string("/-_.~").find(c) != std::string::npos) {
      url += c;
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", u);
      url += b;
    }
  }
  return fragment.empty() ? url : url + "#" + fragment;
}

ChromiumResult run_chromium(const std::string& binary, const std::vector<std::string>& args, int timeout_s) {
  char tmpl[] = "/tmp/headcount-chromium-XXXXXX";
  if (!::mkdtemp(tmpl)) throw Error("cannot create a temporary Chromium profile under /tmp (is /tmp writable?)");
  const fs::path dir(tmpl);
  std::string cmd = "timeout -k 5 " + std::to_string(timeout_s) + " " + shell_quote(binary) +
                    " --headless --no-sandbox --disable-gpu --disable-background-networking"
                    " --disable-component-update --disable-sync --no-first-run --no-default-browser-check"
                    " --disable-dev-shm-usage --user-data-dir=" + shell_quote((dir / "profile").string());
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote((dir / "out").string()) + " 2>" + shell_quote((dir / "err").string()) + " </dev/null";
  const int status = std::system(cmd.c_str());
  ChromiumResult r;
  r.code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (fs::exists(dir / "out")) r.out = read_file((dir / "out").string());
  if (fs::exists(dir / "err")) r.err = read_file((dir / "err").string());
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

}  // namespace hc
