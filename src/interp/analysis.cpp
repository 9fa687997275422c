#include "interp/analysis.hpp"

#include <algorithm>
#include <mutex>
#include <sstream>

#include "core/error.hpp"

namespace hc {

void register_builtin_analyses();  // interp/builtin_analyses.cpp

namespace {

std::vector<Analysis>& registry() {
  static std::vector<Analysis> r;
  return r;
}

void ensure_builtins() {
  static std::once_flag once;
  std::call_once(once, [] { register_builtin_analyses(); });
}

std::string names_list() {
  std::string s;
  for (const auto& a : registry()) s += (s.empty() ? "" : ", ") + a.name;
  return s;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const Dataset& AnalysisContext::train_set() const {
  if (options.train) return *options.train;
  if (!generated_train_) {
    generated_train_ = std::make_shared<Dataset>(
        generate(task, Split::Train, int(data.examples.size()), options.seed, 2));
    generated_train_->source = "generated train split (seed " + std::to_string(options.seed) + ", stream 2, n " +
                               std::to_string(data.examples.size()) + ")";
  }
  return *generated_train_;
}

void register_analysis(Analysis analysis) {
  ensure_builtins();
  if (analysis.name.empty() || !analysis.run || !analysis.not_applicable)
    throw Error("register_analysis: an analysis needs a name, a not_applicable rule and a run function");
  for (const auto& a : registry())
    if (a.name == analysis.name) throw Error("register_analysis: an analysis named '" + analysis.name + "' exists already");
  registry().push_back(std::move(analysis));
}

// The built-ins register through this, before ensure_builtins has returned.
void register_builtin(Analysis analysis) { registry().push_back(std::move(analysis)); }

const std::vector<Analysis>& analyses() {
  ensure_builtins();
  return registry();
}

const Analysis& find_analysis(const std::string& name, const std::string& option) {
  for (const auto& a : analyses())
    if (a.name == name) return a;
  std::string nearest;
  size_t best = 3;  // suggest only names within two edits
  for (const auto& a : analyses()) {
    const size_t d = edit_distance(name, a.name);
    if (d < best) best = d, nearest = a.name;
  }
  throw Error(option + ": unknown analysis '" + name + "'" + (nearest.empty() ? "" : " (did you mean '" + nearest + "'?)") +
              " (valid analyses: " + names_list() + ")");
}

std::vector<const Analysis*> parse_analysis_list(const std::string& list, const std::string& option) {
  std::vector<const Analysis*> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    const Analysis* a = &find_analysis(item, option);
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  if (out.empty()) throw Error(option + ": give at least one analysis (valid analyses: " + names_list() + ")");
  return out;
}

std::string not_one_layer_counting(const ModelConfig& c, const Task& task) {
  if (task.counting() && c.n_layers == 1) return "";
  return "needs a one-layer Count01 model (the paper's setting); this is " +
         (task.counting() ? "a " + std::to_string(c.n_layers) + "-layer Count01 model" : "a " + task.name() + " model");
}

}  // namespace hc
