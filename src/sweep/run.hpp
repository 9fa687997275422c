#pragma once
// One run of a sweep. Its directory is named by a digest of its full training
// configuration; a completion marker (done.json) records that digest and the
// final metrics, so a rerun skips finished runs and a killed sweep resumes.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/spec.hpp"

namespace hc {

struct HeadFigure {
  int head;
  std::string metric;
  double value;
};

struct RunOutcome {
  int index = 0;
  std::string digest;
  std::string status;  // "ok" or "failed"
  std::string error;   // for failed runs
  nlohmann::ordered_json options;
  nlohmann::json metrics;          // accuracy, eos_accuracy, ... (ok runs)
  std::vector<HeadFigure> heads;   // per-head figures from the analyses
  bool skipped = false;            // finished in an earlier invocation
  double seconds = 0;              // wall time of this invocation (not in result tables)
};

nlohmann::json to_json(const RunOutcome& o);
RunOutcome run_outcome_from_json(const nlohmann::json& j);

// 16 hex digits of a stable 64-bit hash (FNV-1a, then SplitMix64) of the text.
std::string digest_of(const std::string& text);

// Trains the run in out_dir/runs/<digest> with one thread, unless its marker
// says it is done. Never throws for a failing run: the error is recorded.
RunOutcome execute_run(const RunSpec& run, const std::vector<std::string>& analyses, const std::string& out_dir);

}  // namespace hc
