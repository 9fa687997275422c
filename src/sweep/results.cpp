#include "sweep/results.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hc {

namespace fs = std::filesystem;

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> n = {"parameters", "steps_done", "accuracy", "eos_accuracy", "seq_accuracy",
                                             "test_loss", "n_test", "reached_target", "weighted_s_acc"};
  return n;
}

Table results_table(const SweepResults& r) {
  Table t;
  t.name = "results";
  t.description = "one row per run: configuration, then final held-out metrics";
  t.columns = {"index", "run", "status", "error"};
  t.columns.insert(t.columns.end(), r.columns.begin(), r.columns.end());
  t.columns.insert(t.columns.end(), metric_names().begin(), metric_names().end());
  for (const auto& o : r.runs) {
    std::vector<nlohmann::json> row = {o.index, o.digest, o.status, o.error};
    for (const auto& c : r.columns) {
      nlohmann::json v = nullptr;
      for (auto it = o.options.begin(); it != o.options.end(); ++it)
        if (column_name(it.key()) == c) v = it.value();
      row.push_back(v);
    }
    for (const auto& m : metric_names()) {
      nlohmann::json v = o.metrics.contains(m) ? o.metrics.at(m) : nlohmann::json(nullptr);
      if (v.is_boolean()) v = v.get<bool>() ? 1 : 0;
      row.push_back(v);
    }
    t.add_row(std::move(row));
  }
  return t;
}

namespace {

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error("results.sqlite: " + msg + " (in: " + sql.substr(0, 80) + ")");
  }
}

void bind(sqlite3_stmt* st, int i, const nlohmann::json& v) {
  if (v.is_null()) sqlite3_bind_null(st, i);
  else if (v.is_number_integer() || v.is_boolean()) sqlite3_bind_int64(st, i, v.is_boolean() ? v.get<bool>() : v.get<int64_t>());
  else if (v.is_number()) sqlite3_bind_double(st, i, v.get<double>());
  else sqlite3_bind_text(st, i, v.get<std::string>().c_str(), -1, SQLITE_TRANSIENT);
}

void insert_rows(sqlite3* db, const std::string& table, size_t width, const std::vector<std::vector<nlohmann::json>>& rows) {
  std::string sql = "INSERT INTO " + table + " VALUES (";
  for (size_t i = 0; i < width; ++i) sql += i ? ",?" : "?";
  sql += ")";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw Error(std::string("results.sqlite: ") + sqlite3_errmsg(db));
  for (const auto& row : rows) {
    for (size_t i = 0; i < width; ++i) bind(st, int(i + 1), row[i]);
    if (sqlite3_step(st) != SQLITE_DONE) {
      sqlite3_finalize(st);
      throw Error(std::string("results.sqlite: ") + sqlite3_errmsg(db));
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
}

// runs: the results table itself; metrics and heads in long form.
void write_sqlite(const std::string& path, const SweepResults& r, const Table& t) {
  check_replaceable_file(path);  // a link, FIFO or device there is refused, not replaced
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  fs::remove(tmp);
  sqlite3* db = nullptr;
  if (sqlite3_open(tmp.c_str(), &db) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw Error("cannot create " + path + ": " + msg);
  }
  try {
    exec(db, "BEGIN");
    std::string cols;
    for (const auto& c : t.columns) cols += (cols.empty() ? "\"" : ", \"") + c + "\"";
    exec(db, "CREATE TABLE runs (" + cols + ")");
    exec(db, "CREATE TABLE metrics (run TEXT, name TEXT, value REAL)");
    exec(db, "CREATE TABLE heads (run TEXT, head INTEGER, metric TEXT, value REAL)");
    insert_rows(db, "runs", t.columns.size(), t.rows);
    std::vector<std::vector<nlohmann::json>> metrics, heads;
    for (const auto& o : r.runs) {
      for (const auto& m : metric_names())
        if (o.metrics.contains(m)) {
          const auto& v = o.metrics.at(m);
          if (v.is_null()) continue;
          metrics.push_back({o.digest, m, v.is_boolean() ? double(v.get<bool>()) : v.get<double>()});
        }
      for (const auto& h : o.heads) heads.push_back({o.digest, h.head, h.metric, h.value});
    }
    insert_rows(db, "metrics", 3, metrics);
    insert_rows(db, "heads", 4, heads);
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_close(db);
    fs::remove(tmp);
    throw;
  }
  sqlite3_close(db);
  fs::rename(tmp, path);
}

}  // namespace

void write_results(const std::string& dir, const SweepResults& r) {
  const Table t = results_table(r);
  write_csv(t, dir);
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& o : r.runs) runs.push_back(to_json(o));
  nlohmann::json j = {{"spec_digest", r.spec_digest}, {"columns", r.columns}, {"runs", runs}};
  if (r.shards > 0) j["shard"] = r.shard, j["shards"] = r.shards;
  if (r.grid_runs >= 0) j["grid_runs"] = r.grid_runs;
  write_file_atomic((fs::path(dir) / "results.json").string(), j.dump(1) + "\n");
  write_sqlite((fs::path(dir) / "results.sqlite").string(), r, t);
}

SweepResults read_results(const std::string& dir) {
  const std::string path = (fs::path(dir) / "results.json").string();
  if (!fs::exists(path))
    throw Error("'" + dir + "' holds no results.json: is it the --out directory of a finished 'headcount sweep'?");
  try {
    const auto j = nlohmann::json::parse(read_file(path));
    SweepResults r;
    r.spec_digest = j.at("spec_digest").get<std::string>();
    r.columns = j.at("columns").get<std::vector<std::string>>();
    for (const auto& o : j.at("runs")) r.runs.push_back(run_outcome_from_json(o));
    r.shard = j.value("shard", -1);
    r.shards = j.value("shards", -1);
    r.grid_runs = j.value("grid_runs", int64_t(-1));
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": malformed results (" + std::string(e.what()) + "); rerun the sweep to rewrite it");
  }
}

SweepResults merge_results(const std::vector<SweepResults>& parts, bool partial, const std::vector<std::string>& dirs) {
  if (parts.empty()) throw Error("sweep-merge needs at least one shard directory");
  auto name = [&](size_t i) { return i < dirs.size() ? dirs[i] : "part " + std::to_string(i + 1); };
  SweepResults m;
  m.spec_digest = parts[0].spec_digest;
  m.columns = parts[0].columns;
  m.shards = parts[0].shards;
  m.grid_runs = parts[0].grid_runs;
  std::map<int, size_t> shard_from;  // shard index -> part
  std::map<int, RunOutcome> by_index;
  std::map<int, size_t> run_from;    // run index -> part
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    if (p.spec_digest != m.spec_digest)
      throw Error("the shards come from different specs (digests " + m.spec_digest + " and " + p.spec_digest +
                  "); merge only shards of one spec");
    if (p.shards != m.shards)
      throw Error(name(i) + " is a shard of " + std::to_string(p.shards) + " but " + name(0) + " one of " +
                  std::to_string(m.shards) + "; merge the shards of one --shard i/n split");
    if (p.shards > 0) {
      auto [it, fresh] = shard_from.emplace(p.shard, i);
      if (!fresh && !partial)
        throw Error(name(it->second) + " and " + name(i) + " are both shard " + std::to_string(p.shard) + "/" +
                    std::to_string(p.shards) + "; give each shard once (or pass --partial to merge anyway)");
    }
    for (const auto& o : p.runs) {
      auto [it, fresh] = run_from.emplace(o.index, i);
      if (!fresh && !partial && p.shards <= 0)
        throw Error(name(it->second) + " and " + name(i) + " both hold run #" + std::to_string(o.index) +
                    "; give each shard once (or pass --partial to merge anyway)");
      by_index[o.index] = o;
    }
  }
  if (!partial && m.shards > 0) {
    std::string missing;
    int n_missing = 0;
    for (int s = 0; s < m.shards; ++s)
      if (!shard_from.count(s)) missing += (n_missing++ ? ", " : "") + std::to_string(s) + "/" + std::to_string(m.shards);
    if (n_missing)
      throw Error(std::to_string(n_missing) + " of " + std::to_string(m.shards) + " shards missing (" + missing +
                  "): the merged table would hold " + std::to_string(by_index.size()) + " of " +
                  std::to_string(m.grid_runs) + " runs; give every shard's directory, or pass --partial for a partial table");
  }
  if (!partial && m.grid_runs >= 0 && int64_t(by_index.size()) != m.grid_runs)
    throw Error("the shards hold " + std::to_string(by_index.size()) + " of the grid's " + std::to_string(m.grid_runs) +
                " runs; give every shard's directory, or pass --partial for a partial table");
  // The merged table is the whole grid: one "shard" of one. A --partial merge that
  // lacks runs records no shard, so it never passes for a whole grid.
  const bool whole = m.grid_runs >= 0 && int64_t(by_index.size()) == m.grid_runs;
  m.shard = whole ? 0 : -1;
  m.shards = whole ? 1 : -1;
  for (auto& [i, o] : by_index) m.runs.push_back(o);
  return m;
}

namespace {

struct Group {
  nlohmann::json values = nlohmann::json::object();  // the --by columns' values
  int n = 0, ok = 0, failed = 0;
  std::vector<double> acc, eos, steps;
};

// The runs grouped by the values of the --by columns, keyed by "col=value  ..".
std::map<std::string, Group> group_runs(const SweepResults& r, const std::vector<std::string>& by) {
  for (const auto& b : by)
    if (std::find(r.columns.begin(), r.columns.end(), b) == r.columns.end()) {
      std::string cols;
      for (const auto& c : r.columns) cols += " " + c;
      throw Error("--by " + b + ": no such config column (columns:" + cols + ")");
    }
  std::map<std::string, Group> groups;
  for (const auto& o : r.runs) {
    std::string key;
    nlohmann::json values = nlohmann::json::object();
    for (const auto& b : by)
      for (auto it = o.options.begin(); it != o.options.end(); ++it)
        if (column_name(it.key()) == b) {
          key += (key.empty() ? "" : "  ") + b + "=" + it.value().dump();
          values[b] = it.value();
        }
    Group& g = groups[key];
    g.values = values;
    ++g.n;
    if (o.status != "ok") { ++g.failed; continue; }
    ++g.ok;
    g.acc.push_back(o.metrics.at("accuracy").get<double>());
    g.eos.push_back(o.metrics.at("eos_accuracy").get<double>());
    g.steps.push_back(o.metrics.at("steps_done").get<double>());
  }
  return groups;
}

// Mean and sample standard deviation (0 for one value).
std::pair<double, double> mean_sd(const std::vector<double>& v) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double x : v) s += (x - m) * (x - m);
  s = v.size() > 1 ? std::sqrt(s / double(v.size() - 1)) : 0;
  return {m, s};
}

}  // namespace

nlohmann::json report_json(const SweepResults& r, const std::vector<std::string>& by) {
  const auto groups = group_runs(r, by);
  nlohmann::json out = {{"by", by}, {"n_runs", r.runs.size()}, {"groups", nlohmann::json::array()},
                        {"failed_runs", nlohmann::json::array()}};
  for (const auto& [k, g] : groups) {
    nlohmann::json row = {{"group", g.values}, {"n_runs", g.n}, {"ok", g.ok}, {"failed", g.failed}};
    // Mean and sd over the group's finished runs; null when none finished.
    const std::vector<std::pair<std::string, const std::vector<double>*>> columns = {
        {"accuracy", &g.acc}, {"eos_accuracy", &g.eos}, {"steps", &g.steps}};
    for (const auto& [name, v] : columns) {
      const auto [m, s] = v->empty() ? std::pair<double, double>{0, 0} : mean_sd(*v);
      row[name + "_mean"] = v->empty() ? nlohmann::json(nullptr) : nlohmann::json(m);
      row[name + "_sd"] = v->empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
    }
    out["groups"].push_back(row);
  }
  for (const auto& o : r.runs)
    if (o.status != "ok") out["failed_runs"].push_back({{"index", o.index}, {"options", o.options}, {"error", o.error}});
  return out;
}

std::string report(const SweepResults& r, const std::vector<std::string>& by) {
  const auto groups = group_runs(r, by);
  auto stats = [](const std::vector<double>& v) {
    if (v.empty()) return std::string("-");
    const auto [m, s] = mean_sd(v);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f +/- %.4f", m, s);
    return std::string(buf);
  };
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-32s %4s %4s %6s  %-20s %-20s %-22s\n", by.empty() ? "group" : "group", "runs", "ok",
                "failed", "accuracy", "EOS accuracy", "steps");
  out += line;
  for (const auto& [k, g] : groups) {
    std::snprintf(line, sizeof line, "%-32s %4d %4d %6d  %-20s %-20s %-22s\n", k.empty() ? "(all)" : k.c_str(), g.n,
                  g.ok, g.failed, stats(g.acc).c_str(), stats(g.eos).c_str(), stats(g.steps).c_str());
    out += line;
  }
  int failed = 0;
  for (const auto& o : r.runs)
    if (o.status != "ok") {
      if (!failed++) out += "\nfailed runs:\n";
      out += "  #" + std::to_string(o.index) + " " + o.options.dump() + ": " + o.error + "\n";
    }
  return out;
}

}  // namespace hc
