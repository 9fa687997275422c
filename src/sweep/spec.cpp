#include "sweep/spec.hpp"

#include <algorithm>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "interp/analysis.hpp"
#include "sweep/options.hpp"
#include "train/options.hpp"

namespace hc {

std::vector<std::string> known_analyses() {
  std::vector<std::string> names;
  for (const Analysis& a : analyses()) names.push_back(a.name);
  return names;
}

std::string column_name(const std::string& option) {
  std::string c = option;
  std::replace(c.begin(), c.end(), '-', '_');
  return c;
}

std::vector<std::string> SweepSpec::columns() const {
  std::vector<std::string> cols;
  for (auto it = options.begin(); it != options.end(); ++it) cols.push_back(column_name(it.key()));
  cols.push_back("seed");
  return cols;
}

SweepSpec parse_spec(const std::string& text, const std::string& source) {
  SweepSpec s;
  s.source = source;
  std::set<std::string> given;  // canonical names, to refuse an option given in both spellings
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(source + ": not valid JSON: " + e.what() + " (a spec is a JSON object of train options)");
  }
  if (!j.is_object() || j.empty())
    throw Error(source + ": a spec must be a non-empty JSON object, e.g. {\"task\": \"count01\", \"d-model\": [16, 32], \"seeds\": 3}");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "seeds") {
      constexpr int64_t kMaxSeeds = 1000000;
      // JSON keeps 0 and up as unsigned, negative numbers as signed.
      if (v.is_number_integer() && (v.is_number_unsigned() ? v.get<uint64_t>() < 1 : v.get<int64_t>() < 1)) {
        throw Error(source + ": \"seeds\" must be a count between 1 and " + std::to_string(kMaxSeeds) +
                    " or a non-empty list of seeds (got " + v.dump() + ")");
      } else if (v.is_number_integer()) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(kMaxSeeds))
          throw Error(source + ": \"seeds\": " + v.dump() + " runs per configuration is over the limit of " +
                      std::to_string(kMaxSeeds) + "; give a smaller count, or a list of the seeds you want");
        for (int64_t i = 1; i <= v.get<int64_t>(); ++i) s.seeds.push_back(uint64_t(i));
      } else if (v.is_array() && !v.empty()) {
        const TrainOption& seed = train_option("seed", source);
        for (const auto& x : v) {
          try {
            s.seeds.push_back(check_train_value(seed, x).get<uint64_t>());
          } catch (const Error& e) {
            throw Error(source + ": \"seeds\" must hold seeds, each an integer between 0 and 18446744073709551615 "
                        "(2^64-1) (got " + x.dump() + ")");
          }
        }
      } else {
        throw Error(source + ": \"seeds\" must be a count between 1 and " + std::to_string(kMaxSeeds) +
                    " or a non-empty list of seeds (got " + v.dump() + ")");
      }
      continue;
    }
    if (k == "analyses") {
      if (!v.is_array()) throw Error(source + ": \"analyses\" must be a list, e.g. [\"ablation\"]");
      for (const auto& a : v) {
        if (!a.is_string()) throw Error(source + ": \"analyses\" must hold analysis names (got " + a.dump() + ")");
        find_analysis(a.get<std::string>(), source + ": \"analyses\"");  // an unknown name: the valid ones, the nearest
        s.analyses.push_back(a.get<std::string>());
      }
      continue;
    }
    if (k == "seed") throw Error(source + ": use \"seeds\" (a count or a list) in a spec, not \"seed\"");
    const TrainOption* o = find_train_option(k);
    if (!o || o->spec.name == "seed") {
      std::vector<std::string> names;
      std::string known;
      for (const auto& n : train_option_names())
        if (n != "seed") names.push_back(n), known += " " + n;
      names.push_back("seeds");
      names.push_back("analyses");
      throw Error(source + ": unknown option '" + k + "'" + did_you_mean(k, names) + " (options are:" + known +
                  ", plus seeds and analyses; '-' or '_' alike)");
    }
    if (!given.insert(o->spec.name).second)
      throw Error(source + ": option '" + o->spec.name + "' is given twice (as '" + o->spec.name + "' and '" +
                  o->spec.key() + "'); keep one");
    if (v.is_array()) {
      if (v.empty()) throw Error(source + ": option '" + k + "' is an empty list; give at least one value");
      for (const auto& x : v)
        if (x.is_array() || x.is_object() || x.is_null())
          throw Error(source + ": option '" + k + "' holds " + x.dump() + "; list elements must be numbers, strings or booleans");
    } else if (v.is_object() || v.is_null()) {
      throw Error(source + ": option '" + k + "' must be a value or a list of values (got " + v.dump() + ")");
    }
    // Type and range of every value now, before any run starts.
    for (const auto& x : v.is_array() ? v : nlohmann::ordered_json::array({v})) {
      try {
        check_train_value(*o, nlohmann::json::parse(x.dump()));
      } catch (const Error& e) {
        std::string msg = e.what();
        if (msg.rfind(o->spec.flag(), 0) == 0) msg = "option '" + k + "'" + msg.substr(o->spec.flag().size());
        throw Error(source + ": " + msg);
      }
    }
    s.options[k] = v;
  }
  if (s.seeds.empty()) s.seeds.push_back(1);
  // Every analysis must apply to every run (an analysis such as head_metrics
  // needs a one-layer Count01 model), or the sweep would train models it
  // cannot analyse. Each distinct task and model shape is checked once.
  if (!s.analyses.empty()) {
    std::set<std::string> seen;
    for (const RunSpec& r : expand(s)) {
      nlohmann::json opts = nlohmann::json::parse(r.options.dump());
      const TrainConfig cfg = config_from_options(opts, source);
      const std::string key = to_json(cfg.task).dump() + to_json(cfg.model).dump();
      if (!seen.insert(key).second) continue;
      const auto task = make_task(cfg.task);
      for (const auto& name : s.analyses) {
        const std::string why = find_analysis(name, source + ": analyses").not_applicable(cfg.model, *task);
        if (!why.empty())
          throw Error(source + ": analysis \"" + name + "\" " + why + " (run " + std::to_string(r.index + 1) +
                      " of the grid: " + r.options.dump() + "); change the grid or drop \"" + name + "\"");
      }
    }
  }
  return s;
}

SweepSpec load_spec(const std::string& path) { return parse_spec(read_file(path), path); }

std::vector<RunSpec> expand(const SweepSpec& spec) {
  // Odometer over the list-valued options, first list slowest, seeds fastest.
  std::vector<std::pair<std::string, nlohmann::ordered_json>> axes;
  for (auto it = spec.options.begin(); it != spec.options.end(); ++it)
    axes.emplace_back(it.key(), it.value().is_array() ? it.value() : nlohmann::ordered_json::array({it.value()}));
  std::vector<size_t> pos(axes.size(), 0);
  std::vector<RunSpec> runs;
  while (true) {
    for (uint64_t seed : spec.seeds) {
      RunSpec r;
      r.index = int(runs.size());
      for (size_t a = 0; a < axes.size(); ++a) r.options[axes[a].first] = axes[a].second[pos[a]];
      r.options["seed"] = seed;
      runs.push_back(std::move(r));
    }
    size_t a = axes.size();
    while (a > 0) {
      --a;
      if (++pos[a] < axes[a].second.size()) break;
      pos[a] = 0;
      if (a == 0) return runs;
    }
    if (axes.empty()) return runs;
  }
}

}  // namespace hc
