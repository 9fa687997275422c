#include "tasks/task.hpp"

#include <algorithm>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "tasks/registry.hpp"
#include "tasks/text_tokens.hpp"

namespace hc {

// A task's options come from its declarations (tasks/registry.hpp): messages
// name the option as the command line spells it, because that is where the
// user fixes it (a JSON config uses the same names with '_').
void TaskConfig::validate() const {
  const TaskEntry& e = task_entry(name);
  for (const auto& o : e.options) check_value(o.spec, o.get(*this));
  if (e.check) e.check(*this);
}

nlohmann::json to_json(const TaskConfig& c) {
  nlohmann::json j;
  j["name"] = c.name;
  for (const auto& o : task_entry(c.name).options) j[o.spec.key()] = o.get(c);
  return j;
}

TaskConfig task_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": the task config must be a JSON object");
  std::string name = registered_tasks().front().name;  // the default task
  if (j.contains("name")) {
    if (!j["name"].is_string()) {
      std::string names;
      for (const auto& n : task_names()) names += (names.empty() ? "" : ", ") + n;
      throw Error(source + ": field 'name' must be a string (" + names + ")");
    }
    name = j["name"].get<std::string>();
  }
  const TaskEntry* entry = nullptr;
  try {
    entry = &task_entry(name);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  std::set<std::string> mine = {"name"};
  for (const auto& o : entry->options) mine.insert(o.spec.key());
  for (const auto& [key, value] : j.items()) {
    if (!mine.count(key)) {
      std::string allowed;
      for (const auto& k : mine) allowed += (allowed.empty() ? "" : ", ") + k;
      throw Error(source + ": unknown field '" + key + "' for task '" + name + "' (allowed: " + allowed + ")");
    }
  }
  TaskConfig c = default_task_config(name);
  for (const auto& o : entry->options) {
    const std::string key = o.spec.key();
    if (!j.contains(key)) continue;
    const auto& v = j[key];
    const std::string what = source + ": field '" + key + "'";
    switch (o.spec.type) {
      case OptionType::Int: o.set(c, json_field::integer<int>(v, what)); break;
      case OptionType::Seed: o.set(c, json_field::integer<uint64_t>(v, what)); break;
      case OptionType::Float: o.set(c, json_field::number(v, what)); break;
      case OptionType::Bool: o.set(c, json_field::boolean(v, what)); break;
      case OptionType::String: o.set(c, json_field::string(v, what)); break;
    }
  }
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

void Task::score_parts(const Example&, const int32_t*, std::vector<AccuracyPart>& parts) const {
  if (!parts.empty())
    throw Error("task '" + name() + "' declares accuracy parts but does not score them (override score_parts)");
}

std::string Task::example_line() const {
  Rng rng(1, 0);
  return format(sample(rng, Split::Train));
}

std::unique_ptr<Task> make_task(const TaskConfig& cfg) {
  cfg.validate();
  return task_entry(cfg.name).factory(cfg);
}

Dataset generate(const Task& task, Split split, int n, uint64_t seed, uint64_t stream) {
  if (n < 0) throw Error("cannot generate a negative number of examples (" + std::to_string(n) + ")");
  const char* which = split == Split::Test ? "test" : "train";
  if (const std::vector<Example>* fixed = task.fixed_examples(split)) {
    Dataset ds;
    const size_t m = std::min(fixed->size(), size_t(n));
    ds.examples.assign(fixed->begin(), fixed->begin() + long(m));
    ds.source = std::string("the ") + which + " file's " +
                (m == fixed->size() ? "examples (all " + std::to_string(m) + ")"
                                    : "first " + std::to_string(m) + " of " + std::to_string(fixed->size()) +
                                          " examples");
    return ds;
  }
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
  size_t header = 0;  // '#' lines at the top (Task::text_header)
  while (header < lines.size() && !lines[header].empty() && lines[header][0] == '#') ++header;
  if (lines.size() == header)
    throw Error(path + ": the evaluation set is empty (expected one example per line, e.g. '" + task.example_line() +
                "')");
  Dataset ds;
  ds.source = path;
  ds.examples.reserve(lines.size() - header);
  for (size_t i = header; i < lines.size(); ++i) {
    try {
      ds.examples.push_back(task.parse(lines[i], int(i + 1)));
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());  // keeps "line N: reason" after the path
    }
  }
  return ds;
}

void save_text(const Task& task, const Dataset& ds, const std::string& path) {
  std::string out = task.text_header();
  for (const auto& ex : ds.examples) {
    out += task.format(ex);
    out += '\n';
  }
  write_file_atomic(path, out);
}

std::string format_tokens(const std::string& task, const std::vector<std::string>& vocab,
                          const std::vector<int32_t>& seq, size_t len) {
  if (seq.size() < len)
    throw Error(task + ": cannot format an example of " + std::to_string(seq.size()) + " tokens (need " +
                std::to_string(len) + ")");
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    const int32_t t = seq[i];
    if (t < 0 || t >= int32_t(vocab.size()))
      throw Error(task + ": token id " + std::to_string(t) + " is outside the vocabulary");
    if (i) out += ' ';
    out += vocab[size_t(t)];
  }
  return out;
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
