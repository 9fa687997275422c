#include "sweep/spec.hpp"

#include <algorithm>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "sweep/options.hpp"

namespace hc {

const std::vector<std::string>& known_analyses() {
  static const std::vector<std::string> names = {"ablation", "head_metrics"};
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
      if (v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= 1000000) {
        for (int64_t i = 1; i <= v.get<int64_t>(); ++i) s.seeds.push_back(uint64_t(i));
      } else if (v.is_array() && !v.empty()) {
        for (const auto& x : v) {
          if (!x.is_number_integer() || x.get<int64_t>() < 0)
            throw Error(source + ": \"seeds\" must hold non-negative integers (got " + x.dump() + ")");
          s.seeds.push_back(x.get<uint64_t>());
        }
      } else {
        throw Error(source + ": \"seeds\" must be a count in [1, 1000000] or a non-empty list of seeds (got " +
                    v.dump() + ")");
      }
      continue;
    }
    if (k == "analyses") {
      if (!v.is_array()) throw Error(source + ": \"analyses\" must be a list, e.g. [\"ablation\"]");
      for (const auto& a : v) {
        const auto& known = known_analyses();
        if (!a.is_string() || std::find(known.begin(), known.end(), a.get<std::string>()) == known.end()) {
          std::string list;
          for (const auto& n : known) list += " " + n;
          throw Error(source + ": unknown analysis " + a.dump() + " (known:" + list + ")");
        }
        s.analyses.push_back(a.get<std::string>());
      }
      continue;
    }
    if (k == "seed") throw Error(source + ": use \"seeds\" (a count or a list) in a spec, not \"seed\"");
    if (!is_train_option(k)) {
      std::string known;
      for (const auto& n : train_option_names())
        if (n != "seed") known += " " + n;
      throw Error(source + ": unknown option '" + k + "' (options are:" + known + ", plus seeds and analyses)");
    }
    if (v.is_array()) {
      if (v.empty()) throw Error(source + ": option '" + k + "' is an empty list; give at least one value");
      for (const auto& x : v)
        if (x.is_array() || x.is_object() || x.is_null())
          throw Error(source + ": option '" + k + "' holds " + x.dump() + "; list elements must be numbers, strings or booleans");
    } else if (v.is_object() || v.is_null()) {
      throw Error(source + ": option '" + k + "' must be a value or a list of values (got " + v.dump() + ")");
    }
    s.options[k] = v;
  }
  if (s.seeds.empty()) s.seeds.push_back(1);
  // head_metrics is the Count01 paper's analysis of one-layer models: every
  // run must be one, or the sweep would train models it cannot analyse.
  if (std::find(s.analyses.begin(), s.analyses.end(), "head_metrics") != s.analyses.end()) {
    auto values = [&](const char* k) {
      const auto& v = s.options[k];
      return v.is_array() ? v : nlohmann::ordered_json::array({v});
    };
    if (!s.options.contains("task"))
      throw Error(source + ": analysis \"head_metrics\" needs Count01 models, but the task defaults to max-of-list: "
                  "add \"task\": \"count01\"");
    for (const auto& t : values("task"))
      if (t != "count01")
        throw Error(source + ": analysis \"head_metrics\" needs Count01 models, but the spec has task " + t.dump() +
                    ": use \"task\": \"count01\" or drop \"head_metrics\"");
    if (s.options.contains("layers"))
      for (const auto& l : values("layers"))
        if (l != 1)
          throw Error(source + ": analysis \"head_metrics\" needs one-layer models, but the spec has layers " +
                      l.dump() + ": use \"layers\": 1 or drop \"head_metrics\"");
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
