#include "tasks/task.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "tasks/count01.hpp"
#include "tasks/max_of_list.hpp"
#include "tasks/text_tokens.hpp"

namespace hc {

namespace {

std::string num(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

// Messages name the option as the command line spells it, because that is
// where the user fixes it (a JSON config uses the same names with '_').
void require(bool ok, const std::string& message) {
  if (!ok) throw Error(message);
}

void check_int_range(int v, int lo, int hi, const char* option) {
  require(v >= lo && v <= hi, std::string(option) + " must be between " + std::to_string(lo) +
                                  " and " + std::to_string(hi) + " (got " + std::to_string(v) +
                                  ")");
}

}  // namespace

void TaskConfig::validate() const {
  if (name != "max-of-list" && name != "count01")
    throw Error("unknown task '" + name + "' (use max-of-list or count01)");
  if (name == "max-of-list") {
    // 2k + 2 <= 4096 keeps n_ctx in the same bound as Count01's.
    check_int_range(list_len, 1, 2047, "--list-len");
    check_int_range(num_range, 2, 1000, "--num-range");
    // Written as !(in range) so that NaN is rejected too.
    require(stratified >= 0.0 && stratified <= 1.0,
            "--stratified must be between 0 and 1 (got " + num(stratified) +
                "): it is the share of training lists drawn stratified by their maximum");
  } else {
    check_int_range(min_len, 1, 4096, "--min-len");
    check_int_range(max_len, 1, 4096, "--max-len");
    require(min_len <= max_len, "--min-len (" + std::to_string(min_len) +
                                    ") must not exceed --max-len (" + std::to_string(max_len) +
                                    ")");
    require(noise >= 0.0 && noise < 1.0,
            "--noise must be in [0, 1) (got " + num(noise) +
                "): it is the probability of the noise symbol 2, and 1 would leave no 0s or 1s");
  }
  require(test_mod >= 2, "--test-mod must be at least 2 (got " + std::to_string(test_mod) +
                             "): a string is held out iff hash % test-mod == 0");
}

nlohmann::json to_json(const TaskConfig& c) {
  nlohmann::json j;
  j["name"] = c.name;
  if (c.name == "max-of-list") {
    j["list_len"] = c.list_len;
    j["num_range"] = c.num_range;
    j["stratified"] = c.stratified;
  } else if (c.name == "count01") {
    j["min_len"] = c.min_len;
    j["max_len"] = c.max_len;
    j["noise"] = c.noise;
    j["ties_as_4"] = c.ties_as_4;
  }
  j["test_mod"] = c.test_mod;
  return j;
}

TaskConfig task_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": the task config must be a JSON object");
  TaskConfig c;
  if (j.contains("name")) {
    if (!j["name"].is_string())
      throw Error(source + ": field 'name' must be a string (max-of-list or count01)");
    c.name = j["name"].get<std::string>();
  }
  try {
    c.validate();  // only the name matters here; the fields are checked below
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  const bool mol = c.name == "max-of-list";
  const std::set<std::string> mine =
      mol ? std::set<std::string>{"name", "list_len", "num_range", "stratified", "test_mod"}
          : std::set<std::string>{"name", "min_len", "max_len", "noise", "ties_as_4", "test_mod"};
  for (const auto& [key, value] : j.items()) {
    if (!mine.count(key)) {
      std::string allowed;
      for (const auto& k : mine) allowed += (allowed.empty() ? "" : ", ") + k;
      throw Error(source + ": unknown field '" + key + "' for task '" + c.name +
                  "' (allowed: " + allowed + ")");
    }
  }
  auto get_int = [&](const char* key, int& out) {
    if (!j.contains(key)) return;
    const auto& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < std::numeric_limits<int>::min() ||
        v.get<int64_t>() > std::numeric_limits<int>::max())
      throw Error(source + ": field '" + key + "' must be an integer");
    out = v.get<int>();
  };
  auto get_double = [&](const char* key, double& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_number()) throw Error(source + ": field '" + key + "' must be a number");
    out = j[key].get<double>();
  };
  if (mol) {
    get_int("list_len", c.list_len);
    get_int("num_range", c.num_range);
    get_double("stratified", c.stratified);
  } else {
    get_int("min_len", c.min_len);
    get_int("max_len", c.max_len);
    get_double("noise", c.noise);
    if (j.contains("ties_as_4")) {
      if (!j["ties_as_4"].is_boolean())
        throw Error(source + ": field 'ties_as_4' must be true or false");
      c.ties_as_4 = j["ties_as_4"].get<bool>();
    }
  }
  get_int("test_mod", c.test_mod);
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return c;
}

int Task::token_id(std::string_view name) const {
  const auto& v = vocab();
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] == name) return int(i);
  return -1;
}

int Task::eos_token() const { return token_id("EOS"); }

std::vector<int> Task::number_tokens() const {
  // Every integer-named token, ordered by its value.
  std::vector<std::pair<long, int>> by_value;
  const auto& names = vocab();
  for (int t = 0; t < int(names.size()); ++t) {
    const std::string& s = names[size_t(t)];
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) continue;
    by_value.push_back({std::stol(s), t});
  }
  std::sort(by_value.begin(), by_value.end());
  std::vector<int> out;
  for (auto [v, t] : by_value) out.push_back(t);
  return out;
}

KeyTarget Task::key_target() const {
  return {KeyTarget::Kind::answer_token, {}, "positions holding the answer token"};
}

AttentionClasses Task::attention_classes() const {
  AttentionClasses c;
  c.names = {"target", "other_numbers", "special"};
  c.target_class = 0;
  c.token_class.assign(size_t(vocab_size()), 2);
  for (int t : number_tokens()) c.token_class[size_t(t)] = 1;
  return c;
}

std::vector<std::vector<Example>> Task::invariance_families(int, Rng&) const {
  throw Error("invariance: no default families for task '" + name() +
              "'; give families in a file (one example per line, blank lines between families)");
}

std::string Task::example_line() const {
  Rng rng(1, 0);
  return format(sample(rng, Split::Train));
}

std::unique_ptr<Task> make_task(const TaskConfig& cfg) {
  cfg.validate();
  if (cfg.name == "max-of-list") return std::make_unique<MaxOfListTask>(cfg);
  return std::make_unique<Count01Task>(cfg);
}

Dataset generate(const Task& task, Split split, int n, uint64_t seed, uint64_t stream) {
  if (n < 0) throw Error("cannot generate a negative number of examples (" + std::to_string(n) + ")");
  Dataset ds;
  ds.examples.reserve(size_t(n));
  Rng rng(seed, stream);
  for (int i = 0; i < n; ++i) ds.examples.push_back(task.sample(rng, split));
  ds.source = std::string("generated ") + (split == Split::Test ? "test" : "train") +
              " split (seed " + std::to_string(seed) + ", stream " + std::to_string(stream) +
              ", n " + std::to_string(n) + ")";
  return ds;
}

Dataset load_text(const Task& task, const std::string& path) {
  const std::string text = read_file(path);
  std::vector<std::string_view> lines;
  std::string_view rest(text);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  // Blank lines at the end (an editor's final newline, or several) are not
  // examples; a blank line between examples is reported by parse().
  auto blank = [](std::string_view s) { return s.find_first_not_of(" \t\r") == s.npos; };
  while (!lines.empty() && blank(lines.back())) lines.pop_back();
  if (lines.empty())
    throw Error(path + ": the evaluation set is empty (expected one example per line, e.g. '" + task.example_line() +
                "')");
  Dataset ds;
  ds.source = path;
  ds.examples.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    try {
      ds.examples.push_back(task.parse(lines[i], int(i + 1)));
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());  // keeps "line N: reason" after the path
    }
  }
  return ds;
}

void save_text(const Task& task, const Dataset& ds, const std::string& path) {
  std::string out;
  for (const auto& ex : ds.examples) {
    out += task.format(ex);
    out += '\n';
  }
  write_file_atomic(path, out);
}

// Shared by both tasks' parsers: whitespace-separated names. Runs of spaces,
// tabs and a trailing '\r' (CRLF files) are tolerated; the tokens are what count.
std::vector<std::string_view> split_tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace hc
