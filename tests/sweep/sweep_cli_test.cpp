// Sweeps end to end through the CLI: tables, resume after a real kill, jobs /
// shards / MPI give identical tables, failures are recorded.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "../cli/cli_util.hpp"
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"

namespace hc {
namespace sweep_sweep_cli_test {  // this file's own names (unity builds batch test files)
using testing::run_cli;
namespace fs = std::filesystem;

const char* kSpec = R"({"task": "count01", "d-model": [8, 16], "heads": [2, 4], "steps": 40,
  "eval-every": 20, "eval-size": 200, "seeds": 3, "analyses": ["ablation"]})";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Rows of a SQLite table as CSV-like lines in the same format as results.csv.
std::vector<std::string> sqlite_rows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::vector<std::string> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      if (i) row += ",";
      char buf[64];
      switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER: row += std::to_string(sqlite3_column_int64(st, i)); break;
        case SQLITE_FLOAT: std::snprintf(buf, sizeof buf, "%.9g", sqlite3_column_double(st, i)); row += buf; break;
        case SQLITE_NULL: break;
        default: row += reinterpret_cast<const char*>(sqlite3_column_text(st, i));
      }
    }
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

std::string sweep(const std::string& dir, const std::string& extra, const char* spec = kSpec) {
  fs::create_directories(dir);
  write_file_atomic(dir + "/spec.json.in", spec);
  auto r = run_cli("sweep " + dir + "/spec.json.in --out " + dir + "/out --quiet " + extra);
  EXPECT_EQ(r.code, 0) << r.output;
  return read_file(dir + "/out/results.csv");
}

TEST(SweepCli, TwelveRunsGiveTwelveRowsInCsvAndSqliteThatAgree) {
  const std::string dir = testing::temp_dir("sweep-12");
  const std::string csv = sweep(dir, "--jobs 2");
  auto rows = lines(csv);
  ASSERT_EQ(rows.size(), 13u);  // header + 12
  EXPECT_EQ(rows[0].rfind("index,run,status,error,task,d_model,heads,steps,eval_every,eval_size,seed,parameters", 0), 0u);
  auto db = sqlite_rows(dir + "/out/results.sqlite", "SELECT * FROM runs ORDER BY \"index\"");
  ASSERT_EQ(db.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_EQ(db[i], rows[i + 1]);
  // Per-head figures: 2 or 4 heads per run.
  auto heads = sqlite_rows(dir + "/out/results.sqlite", "SELECT COUNT(*) FROM heads");
  EXPECT_EQ(heads[0], std::to_string(3 * (2 + 4) * 2));
  auto metrics = sqlite_rows(dir + "/out/results.sqlite", "SELECT COUNT(DISTINCT run) FROM metrics");
  EXPECT_EQ(metrics[0], "12");
  // Every run directory holds a trained model and its completion marker.
  int done = 0;
  for (const auto& e : fs::directory_iterator(dir + "/out/runs")) done += fs::exists(e.path() / "done.json") && fs::exists(e.path() / "model.safetensors");
  EXPECT_EQ(done, 12);
}

TEST(SweepCli, JobsShardsAndMergeGiveIdenticalTables) {
  const std::string dir = testing::temp_dir("sweep-jobs");
  const std::string one = sweep(dir + "/j1", "--jobs 1");
  const std::string two = sweep(dir + "/j2", "--jobs 2");
  EXPECT_EQ(one, two);
  sweep(dir + "/s0", "--shard 0/2");
  sweep(dir + "/s1", "--shard 1/2 --jobs 2");
  EXPECT_EQ(lines(read_file(dir + "/s0/out/results.csv")).size(), 7u);
  auto m = run_cli("sweep-merge " + dir + "/s0/out " + dir + "/s1/out --out " + dir + "/merged");
  ASSERT_EQ(m.code, 0) << m.output;
  EXPECT_EQ(read_file(dir + "/merged/results.csv"), one);
}

TEST(SweepCli, MpiGivesTheSameTableAsOneJob) {
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun not installed";
  auto probe = run_cli("sweep --help");
  const std::string dir = testing::temp_dir("sweep-mpi");
  const std::string one = sweep(dir + "/j1", "--jobs 1");
  fs::create_directories(dir + "/mpi");
  write_file_atomic(dir + "/mpi/spec.json", kSpec);
  const std::string cmd = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none "
                          "mpirun --oversubscribe -np 3 " + std::string(HC_CLI_PATH) + " sweep " + dir +
                          "/mpi/spec.json --out " + dir + "/mpi/out --mpi --quiet > " + dir + "/mpi/log.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir + "/mpi/log.txt");
  EXPECT_EQ(read_file(dir + "/mpi/out/results.csv"), one);
}

TEST(SweepCli, FailingRunIsRecordedAndTheSweepGoesOn) {
  const std::string dir = testing::temp_dir("sweep-fail");
  const std::string csv = sweep(dir, "", R"({"task": "count01", "d-model": [30, 32], "heads": 4, "steps": 20,
    "eval-every": 20, "eval-size": 100})");
  auto rows = lines(csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[1].find("failed"), std::string::npos);
  EXPECT_NE(rows[1].find("not divisible"), std::string::npos) << rows[1];
  EXPECT_NE(rows[2].find(",ok,"), std::string::npos) << rows[2];
}

TEST(SweepCli, KilledSweepResumesWithoutRetrainingFinishedRuns) {
  const std::string dir = testing::temp_dir("sweep-kill");
  // Five runs of about a second each, one at a time.
  write_file_atomic(dir + "/spec.json", R"({"task": "count01", "d-model": 16, "heads": 4, "steps": 1200,
    "eval-every": 600, "eval-size": 200, "seeds": 5})");
  const std::string cmd = std::string(HC_CLI_PATH) + " sweep " + dir + "/spec.json --out " + dir +
                          "/out --quiet > /dev/null 2>&1 & echo $! > " + dir + "/pid";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto count_done = [&] {
    int n = 0;
    if (fs::exists(dir + "/out/runs"))
      for (const auto& e : fs::directory_iterator(dir + "/out/runs")) n += fs::exists(e.path() / "done.json");
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (count_done() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int pid = std::stoi(read_file(dir + "/pid"));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int finished = count_done();
  ASSERT_GE(finished, 2);
  ASSERT_LT(finished, 5) << "the sweep finished before it could be killed";
  EXPECT_FALSE(fs::exists(dir + "/out/results.csv"));
  std::map<std::string, fs::file_time_type> before;
  for (const auto& e : fs::directory_iterator(dir + "/out/runs"))
    if (fs::exists(e.path() / "done.json")) before[e.path().string()] = fs::last_write_time(e.path() / "model.safetensors");

  auto r = run_cli("sweep " + dir + "/spec.json --out " + dir + "/out --json");
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j.at("skipped").get<int>(), finished);
  EXPECT_EQ(j.at("ok").get<int>(), 5);
  for (const auto& [path, t] : before) EXPECT_EQ(fs::last_write_time(path + "/model.safetensors"), t) << path << " was retrained";
  EXPECT_EQ(lines(read_file(dir + "/out/results.csv")).size(), 6u);
}

TEST(SweepCli, BadSpecsAndOutputsFailBeforeAnythingRuns) {
  const std::string dir = testing::temp_dir("sweep-bad");
  write_file_atomic(dir + "/unknown.json", R"({"task": "count01", "depth": [1, 2]})");
  write_file_atomic(dir + "/empty.json", R"({"task": "count01", "heads": []})");
  write_file_atomic(dir + "/broken.json", R"({"task": "count01",)");
  write_file_atomic(dir + "/good.json", R"({"task": "count01", "steps": 5})");
  write_file_atomic(dir + "/a-file", "x");
  const std::pair<std::string, std::string> cases[] = {
      {"unknown.json --out " + dir + "/o1", "unknown option 'depth'"},
      {"empty.json --out " + dir + "/o2", "empty list"},
      {"broken.json --out " + dir + "/o3", "not valid JSON"},
      {"good.json --out " + dir + "/a-file/o4", "a-file/o4"},
      {"good.json --out " + dir + "/o5 --shard 2/2", "--shard"},
  };
  for (const auto& [args, phrase] : cases) {
    auto r = run_cli("sweep " + dir + "/" + args);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.output.find(phrase), std::string::npos) << args << ": " << r.output;
  }
  for (const char* o : {"/o1", "/o2", "/o3", "/o5"}) EXPECT_FALSE(fs::exists(dir + o + "/runs")) << o;
}

// analyses ["head_metrics"]: per run, H rows per metric in the heads table,
// and weighted_s_acc as a per-run metric in results.csv and results.sqlite.
TEST(SweepCli, HeadMetricsGiveHRowsPerRunPerMetric) {
  const std::string dir = testing::temp_dir("sweep-head-metrics");
  const char* spec = R"({"task": "count01", "d-model": 8, "heads": [2, 4], "steps": 60, "eval-every": 30,
    "eval-size": 200, "seeds": 2, "analyses": ["head_metrics"]})";
  const std::string csv = sweep(dir, "--jobs 2", spec);
  const auto rows = lines(csv);
  ASSERT_EQ(rows.size(), 5u);  // header + 4 runs
  EXPECT_NE(rows[0].find(",reached_target,weighted_s_acc"), std::string::npos) << rows[0];
  const std::string db = dir + "/out/results.sqlite";
  for (const auto& r : sqlite_rows(db, "SELECT status FROM runs")) EXPECT_EQ(r, "ok");
  // Per run and metric, one row per head (heads 0..H-1).
  const auto counts = sqlite_rows(db,
      "SELECT runs.heads, heads.metric, COUNT(*), MIN(heads.head), MAX(heads.head) FROM heads JOIN runs USING (run) "
      "GROUP BY heads.run, heads.metric ORDER BY runs.\"index\", heads.metric");
  ASSERT_EQ(counts.size(), 4u * 6u);
  std::map<std::string, int> per_metric;
  for (const auto& c : counts) {
    std::vector<std::string> f;
    std::stringstream ss(c);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 5u) << c;
    EXPECT_EQ(f[2], f[0]) << c;  // H rows
    EXPECT_EQ(f[3], "0") << c;
    EXPECT_EQ(std::stoi(f[4]), std::stoi(f[0]) - 1) << c;
    ++per_metric[f[1]];
  }
  EXPECT_EQ(per_metric, (std::map<std::string, int>{{"auc", 4}, {"l_acc", 4}, {"s_acc", 4}, {"success", 4},
                                                    {"w01", 4}, {"w02", 4}}));
  // Values are in range, and success agrees with s_acc.
  EXPECT_EQ(sqlite_rows(db, "SELECT COUNT(*) FROM heads WHERE metric IN ('s_acc','l_acc','auc') AND "
                            "(value < 0 OR value > 1)")[0], "0");
  EXPECT_EQ(sqlite_rows(db, "SELECT COUNT(*) FROM heads a JOIN heads b ON a.run = b.run AND a.head = b.head "
                            "WHERE a.metric = 'success' AND b.metric = 's_acc' AND a.value != (b.value >= 0.95)")[0], "0");
  // weighted_s_acc: one per run in the metrics table, equal to the CSV column.
  const auto w = sqlite_rows(db, "SELECT runs.weighted_s_acc, metrics.value FROM runs JOIN metrics USING (run) "
                                 "WHERE metrics.name = 'weighted_s_acc' ORDER BY runs.\"index\"");
  ASSERT_EQ(w.size(), 4u);
  for (const auto& r : w) {
    const auto comma = r.find(',');
    EXPECT_EQ(r.substr(0, comma), r.substr(comma + 1)) << r;
    const double v = std::stod(r.substr(0, comma));
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  // Resumed runs keep their figures: a rerun trains nothing and writes the same tables.
  const std::string again = sweep(dir, "--jobs 1", spec);
  EXPECT_EQ(again, csv);
  EXPECT_EQ(sqlite_rows(db, "SELECT COUNT(*) FROM heads")[0], std::to_string(2 * (2 + 4) * 6));
}

TEST(SweepCli, ReportGroupsByAConfigColumn) {
  const std::string dir = testing::temp_dir("sweep-report");
  sweep(dir, "--jobs 2");
  auto r = run_cli("sweep-report " + dir + "/out --by d_model");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("d_model=8"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("d_model=16"), std::string::npos) << r.output;
  auto bad = run_cli("sweep-report " + dir + "/out --by depth");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("no such config column"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace hc
