#include "sweep/sweep.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "sweep/lock.hpp"
#include "train/progress.hpp"

namespace hc {

namespace fs = std::filesystem;

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::mutex progress_mutex;
}  // namespace

void parse_shard(const std::string& text, int& shard, int& shards) {
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t a = 0, b = 0;
    shard = std::stoi(text.substr(0, slash), &a);
    shards = std::stoi(text.substr(slash + 1), &b);
    if (a != slash || b != text.size() - slash - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw Error("--shard '" + text + "' must be i/n, e.g. --shard 0/4 for the first of 4 shards");
  }
  if (shards < 1 || shard < 0 || shard >= shards)
    throw Error("--shard " + text + ": need 0 <= i < n (e.g. 0/4 .. 3/4 for a job array of 4)");
}

std::string spec_digest(const SweepSpec& spec) {
  nlohmann::ordered_json j = {{"options", spec.options}, {"seeds", spec.seeds}, {"analyses", spec.analyses}};
  return digest_of(j.dump());
}

std::vector<std::string> varying_options(const SweepSpec& spec) {
  std::vector<std::string> v;
  for (auto it = spec.options.begin(); it != spec.options.end(); ++it)
    if (it.value().is_array() && it.value().size() > 1) v.push_back(it.key());
  if (spec.seeds.size() > 1) v.push_back("seed");
  return v;
}

SweepProgress::SweepProgress(int total, bool enabled, std::vector<std::string> shown)
    : total_(total), shown_(std::move(shown)), enabled_(enabled), tty_(enabled && isatty(STDERR_FILENO)), start_(now_s()) {}

void SweepProgress::started() {
  std::lock_guard<std::mutex> lock(progress_mutex);
  ++running_;
}

void SweepProgress::finished(const RunOutcome& o) {
  std::lock_guard<std::mutex> lock(progress_mutex);
  --running_;
  ++done_;
  failed_ += o.status != "ok";
  if (!enabled_) return;
  const double elapsed = now_s() - start_;
  const double eta = done_ > 0 ? elapsed / done_ * (total_ - done_) : 0;
  std::string what;
  for (auto it = o.options.begin(); it != o.options.end(); ++it)
    if (std::find(shown_.begin(), shown_.end(), it.key()) != shown_.end())
      what += it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump()) + " ";
  char result[160];
  if (o.status == "ok")
    std::snprintf(result, sizeof result, "acc %.4f eos %.4f  %s", o.metrics.at("accuracy").get<double>(),
                  o.metrics.at("eos_accuracy").get<double>(),
                  o.skipped ? "(done earlier, skipped)" : (std::to_string(int(o.seconds * 1000)) + " ms").c_str());
  else
    std::snprintf(result, sizeof result, "FAILED: %.120s", o.error.c_str());
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "[%*d/%d] #%d %s %s\n", int(std::to_string(total_).size()), done_, total_, o.index, what.c_str(),
               result);
  const int width = 24, filled = total_ ? width * done_ / total_ : width;
  const std::string bar = std::string(size_t(filled), '=') + std::string(size_t(width - filled), ' ');
  if (tty_)
    std::fprintf(stderr, "[%s] done %d/%d  failed %d  running %d  ETA %s", bar.c_str(), done_, total_, failed_,
                 running_, format_duration(eta).c_str());
  else if (done_ == total_ || done_ % 10 == 0)
    std::fprintf(stderr, "progress: done %d/%d  failed %d  running %d  elapsed %s  ETA %s\n", done_, total_, failed_,
                 running_, format_duration(elapsed).c_str(), format_duration(eta).c_str());
  std::fflush(stderr);
}

void SweepProgress::close() {
  if (tty_) std::fprintf(stderr, "\r\033[K");
}

std::string spec_file_text(const SweepSpec& spec) {
  return nlohmann::ordered_json({{"options", spec.options}, {"seeds", spec.seeds}, {"analyses", spec.analyses}}).dump(2) +
         "\n";
}

std::string claim_output(const SweepSpec& spec, const SweepOptions& opt) {
  const fs::path out(opt.out), spec_path = out / "spec.json";
  std::error_code ec;
  std::string problem;
  if (fs::exists(spec_path, ec)) {
    nlohmann::ordered_json old;
    try {
      old = nlohmann::ordered_json::parse(read_file(spec_path.string()));
    } catch (const std::exception&) {
    }
    if (old == nlohmann::ordered_json::parse(spec_file_text(spec))) return "";  // the same spec: resume
    problem = " holds a sweep of another spec (its spec.json differs from " + spec.source +
              "); a sweep resumes only its own spec";
  } else {
    for (const auto& e : fs::directory_iterator(out, ec))
      if (e.path().filename() != ".lock") {
        problem = " holds files that are not a sweep's (no spec.json)";
        break;
      }
    if (problem.empty()) return "";
  }
  if (!opt.force) throw Error("--out " + opt.out + problem + ": pass --force to replace it whole, or choose another --out");
  // Moved aside now and removed only once the new sweep has written its results.
  fs::path target = fs::absolute(out).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "DIR/"
  std::string aside = (target.parent_path() / ("." + target.filename().string() + ".old-XXXXXX")).string();
  if (::mkdtemp(aside.data()) == nullptr || std::rename(opt.out.c_str(), aside.c_str()) != 0)
    throw Error("--force: cannot move the old " + opt.out + " aside: " + std::strerror(errno));
  ensure_writable_dir(opt.out);
  return aside;
}

SweepResults run_sweep(const SweepSpec& spec, const SweepOptions& opt) {
  if (opt.jobs < 1 || opt.jobs > 1024) throw Error("--jobs must be in [1, 1024] (got " + std::to_string(opt.jobs) + ")");
  ensure_writable_dir(opt.out);
  auto lock = std::make_unique<SweepLock>(opt.out);
  if (lock->recovered_from() && opt.progress)
    std::fprintf(stderr, "note: %s was left by sweep pid %ld, which is no longer running; taking it over\n",
                 SweepLock::path_in(opt.out).c_str(), lock->recovered_from());
  const std::string aside = claim_output(spec, opt);
  if (!aside.empty()) lock = std::make_unique<SweepLock>(opt.out);  // the old lock moved aside with its directory
  write_file_atomic((fs::path(opt.out) / "spec.json").string(), spec_file_text(spec));
  std::vector<RunSpec> all = expand(spec);
  std::vector<RunSpec> mine;
  for (auto& r : all)
    if (r.index % opt.shards == opt.shard) mine.push_back(std::move(r));

  SweepResults res;
  res.spec_digest = spec_digest(spec);
  res.columns = spec.columns();
  res.shard = opt.shard;
  res.shards = opt.shards;
  res.grid_runs = int64_t(all.size());
  res.runs.resize(mine.size());
  SweepProgress progress(int(mine.size()), opt.progress, varying_options(spec));
  parallel_for(int(mine.size()), opt.jobs, [&](int i) {
    progress.started();
    res.runs[size_t(i)] = execute_run(mine[size_t(i)], spec.analyses, opt.out);
    progress.finished(res.runs[size_t(i)]);
  });
  progress.close();
  write_results(opt.out, res);
  if (!aside.empty()) {
    std::error_code ec;
    fs::remove_all(aside, ec);
  }
  return res;
}

}  // namespace hc
