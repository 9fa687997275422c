#include "sweep/run.hpp"

#include <chrono>
#include <filesystem>
#include <limits>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "sweep/analyses.hpp"
#include "sweep/options.hpp"

namespace hc {

namespace fs = std::filesystem;

std::string digest_of(const std::string& text) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  h = splitmix64(h);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
  return buf;
}

nlohmann::json to_json(const RunOutcome& o) {
  nlohmann::json heads = nlohmann::json::array();
  for (const auto& h : o.heads) heads.push_back({{"head", h.head}, {"metric", h.metric}, {"value", h.value}});
  return {{"index", o.index},   {"digest", o.digest},   {"status", o.status}, {"error", o.error},
          {"options", o.options}, {"metrics", o.metrics}, {"heads", heads}};
}

RunOutcome run_outcome_from_json(const nlohmann::json& j) {
  RunOutcome o;
  o.index = j.at("index").get<int>();
  o.digest = j.at("digest").get<std::string>();
  o.status = j.at("status").get<std::string>();
  o.error = j.at("error").get<std::string>();
  o.options = nlohmann::ordered_json(j.at("options"));
  o.metrics = j.at("metrics");
  // A NaN figure (e.g. w01 of a model that never saw both a 0 and a 1) is
  // written as JSON null.
  for (const auto& h : j.at("heads"))
    o.heads.push_back({h.at("head").get<int>(), h.at("metric").get<std::string>(),
                       h.at("value").is_null() ? std::numeric_limits<double>::quiet_NaN() : h.at("value").get<double>()});
  return o;
}

RunOutcome execute_run(const RunSpec& run, const std::vector<std::string>& analyses, const std::string& out_dir) {
  const auto start = std::chrono::steady_clock::now();
  RunOutcome o;
  o.index = run.index;
  o.options = run.options;
  o.metrics = nlohmann::json::object();
  const std::string source = "run " + std::to_string(run.index) + " " + run.options.dump();
  TrainConfig cfg;
  bool valid = true;
  try {
    cfg = config_from_options(nlohmann::json(run.options), source);
    nlohmann::json identity = to_json(cfg);
    identity["analyses"] = analyses;
    o.digest = digest_of(identity.dump());
  } catch (const Error& e) {
    valid = false;
    o.digest = digest_of("invalid " + run.options.dump());
    o.status = "failed";
    o.error = e.what();
  }
  const std::string dir = (fs::path(out_dir) / "runs" / o.digest).string();
  const std::string marker = (fs::path(dir) / "done.json").string();
  auto finish = [&]() {
    o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return o;
  };
  try {
    if (fs::exists(marker)) {
      RunOutcome done = run_outcome_from_json(nlohmann::json::parse(read_file(marker)));
      if (done.digest == o.digest && done.status == "ok") {
        done.index = run.index;
        done.options = run.options;
        done.skipped = true;
        o = std::move(done);
        return finish();
      }
    }
  } catch (const std::exception&) {
    // An unreadable marker is treated as absent: the run is trained again.
  }
  if (valid) {
    try {
      ensure_writable_dir(dir);
      Model<float> model(cfg.model);
      model.init(cfg.seed);
      TrainOptions topt;
      topt.threads = 1;
      topt.progress = false;
      topt.out_dir = dir;
      TrainResult r = train(cfg, topt, model);
      o.metrics = {{"parameters", model.params().size()},       {"steps_done", r.steps_done},
                   {"accuracy", r.final_eval.accuracy},          {"eos_accuracy", r.final_eval.eos_accuracy},
                   {"seq_accuracy", r.final_eval.seq_accuracy},  {"test_loss", r.final_eval.loss},
                   {"n_test", r.final_eval.n},                   {"reached_target", r.reached_target}};
      AnalysisOutput an = run_analyses(analyses, model, cfg);
      o.heads = std::move(an.heads);
      for (auto it = an.metrics.begin(); it != an.metrics.end(); ++it) o.metrics[it.key()] = it.value();
      o.status = "ok";
    } catch (const std::exception& e) {
      o.status = "failed";
      o.error = e.what();
    }
  }
  // The marker is written last and atomically: a killed run leaves none.
  try {
    ensure_writable_dir(dir);
    write_file_atomic(o.status == "ok" ? marker : (fs::path(dir) / "failed.json").string(), to_json(o).dump(2) + "\n");
  } catch (const std::exception& e) {
    o.status = "failed";
    o.error = std::string("cannot record the run: ") + e.what();
  }
  return finish();
}

}  // namespace hc
