// --json on every command, against the one schema of docs/cli-json-schema.json
// (docs/CLI.md): each command is run as a user runs it and its standard output
// must be one JSON document that validates. The schema itself must use one
// meaning per key name across commands, and cover every subcommand.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sys/wait.h>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "core/atomic_file.hpp"
#include "json_schema.hpp"

namespace hc {
namespace cli_json_schema_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::fixture;

nlohmann::json schema() {
  return nlohmann::json::parse(read_file(std::string(HC_SOURCE_DIR) + "/docs/cli-json-schema.json"));
}

struct Out {
  int code = -1;
  std::string out, err;
};

// Standard output alone (what a script parses); standard error kept for messages.
Out run_stdout(const std::string& args) {
  const std::string err_file = testing::temp_dir("json-schema-stderr") + "/stderr";
  Out r;
  FILE* p = popen((std::string(HC_CLI_PATH) + " " + args + " 2>" + err_file).c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_file(err_file);
  return r;
}

// Runs `command args --json` and validates what it printed.
nlohmann::json expect_valid(const std::string& command, const std::string& args) {
  const nlohmann::json s = schema();
  const Out r = run_stdout(command + " " + args + " --json");
  EXPECT_EQ(r.code, 0) << command << ": " << r.err;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(r.out);
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << command << ": standard output is not one JSON document (" << e.what() << "):\n" << r.out.substr(0, 500);
    return j;
  }
  for (const auto& e : testing::validate(j, s.at("commands").at(command), s, command)) ADD_FAILURE() << e;
  return j;
}

TEST(JsonSchema, OneMeaningPerKeyAcrossCommandsAndEveryCommandCovered) {
  const nlohmann::json s = schema();
  // name -> (command, schema of the key with "null" dropped from its types)
  std::map<std::string, std::pair<std::string, nlohmann::json>> seen;
  // A command with several shapes (train finished or interrupted, sweep run
  // or --dry-run) lists them under oneOf; each shape's keys count.
  std::vector<std::pair<std::string, nlohmann::json>> shapes;
  for (const auto& [cmd, c] : s.at("commands").items()) {
    if (c.contains("oneOf"))
      for (const auto& alt : c["oneOf"]) shapes.push_back({cmd, alt});
    else
      shapes.push_back({cmd, c});
  }
  for (const auto& [cmd, c] : shapes) {
    // Every key a command prints is in its schema, so none can drift unnoticed.
    EXPECT_TRUE(c.contains("additionalProperties")) << cmd << ": the schema does not close its keys";
    for (const auto& [key, sub] : c.at("properties").items()) {
      nlohmann::json k = testing::resolve(sub, s);
      if (k.contains("type") && k["type"].is_array()) {
        nlohmann::json types = nlohmann::json::array();
        for (const auto& t : k["type"])
          if (t != "null") types.push_back(t);
        k["type"] = types.size() == 1 ? types[0] : types;
      }
      auto it = seen.find(key);
      if (it == seen.end()) {
        seen[key] = {cmd, k};
      } else if (it->second.second != k) {
        ADD_FAILURE() << "key '" << key << "' means " << it->second.second.dump() << " in " << it->second.first
                      << " but " << k.dump() << " in " << cmd;
      }
    }
  }
  // The things the issue named: one example count, model = a path, config = the config object.
  EXPECT_FALSE(seen.count("n"));
  EXPECT_FALSE(seen.count("n_test"));
  EXPECT_EQ(seen.at("model").second, nlohmann::json({{"type", "string"}}));
  EXPECT_EQ(seen.at("config").second, s.at("definitions").at("config"));
  // Every subcommand `headcount --help` lists has a schema.
  const auto help = testing::run_cli("--help");
  std::set<std::string> listed;
  const std::regex sub("\n  ([a-z][a-z-]+) ");
  for (std::sregex_iterator it(help.output.begin(), help.output.end(), sub), end; it != end; ++it)
    listed.insert((*it)[1].str());
  EXPECT_GE(listed.size(), 10u) << help.output;
  for (const auto& cmd : listed) EXPECT_TRUE(s.at("commands").contains(cmd)) << "no --json schema for " << cmd;
}

TEST(JsonSchema, ModelCommandsPrintTheDocumentedSchema) {
  const std::string dir = testing::temp_dir("json-schema-model");
  const std::string mol = fixture("max_of_list_torch.safetensors") + " --task max-of-list";
  const nlohmann::json t = expect_valid("train", "--task count01 --steps 20 --eval-every 10 --eval-size 100 --quiet --out " + dir + "/run");
  EXPECT_EQ(t.value("n_examples", 0), 100);
  const nlohmann::json e = expect_valid("eval", mol + " --n 300");
  EXPECT_EQ(e.value("n_examples", 0), 300);
  EXPECT_EQ(e.value("model", ""), fixture("max_of_list_torch.safetensors"));
  const nlohmann::json i = expect_valid("inspect", mol + " --ablate 0,1 --top-k 4");
  EXPECT_EQ(i["top_k"].size(), 4u);
  EXPECT_TRUE(i.contains("ablated"));
  expect_valid("inspect", dir + "/run --example \"0 1 1 2 =\"");
  const nlohmann::json im = expect_valid("import", mol + " --out " + dir + "/imported");
  EXPECT_EQ(im["config"], e["config"]);  // the same object under the same key
  const nlohmann::json d = expect_valid("data", "--task count01 --n 3");
  EXPECT_EQ(d["examples"].size(), 3u);
  EXPECT_TRUE(d["out"].is_null());
  EXPECT_FALSE(expect_valid("data", "--n 5 --out " + dir + "/set.txt").contains("examples"));
  const nlohmann::json a = expect_valid("analyze", mol + " --n 200 --only dla,value_norms --no-report --out " + dir + "/an");
  EXPECT_EQ(a.value("n_examples", 0), 200);
  EXPECT_EQ(a["config"], e["config"]);
}

TEST(JsonSchema, SweepCommandsPrintTheDocumentedSchema) {
  const std::string dir = testing::temp_dir("json-schema-sweep");
  write_file_atomic(dir + "/spec.json",
                    R"({"task": "count01", "d-model": [8, 16], "heads": 2, "steps": 20, "eval-every": 20, "eval-size": 100, "seeds": 1})");
  for (const char* shard : {"0/2", "1/2"})
    expect_valid("sweep", dir + "/spec.json --shard " + shard + " --out " + dir + "/s" + shard[0]);
  const nlohmann::json m = expect_valid("sweep-merge", dir + "/s0 " + dir + "/s1 --out " + dir + "/merged");
  EXPECT_EQ(m.value("n_runs", 0), 2);
  const nlohmann::json r = expect_valid("sweep-report", dir + "/merged --by d_model");
  EXPECT_EQ(r["groups"].size(), 2u);
}

}  // namespace cli_json_schema_test
}  // namespace hc
