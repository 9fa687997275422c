#include "interp/analysis.hpp"

#include <algorithm>
#include <mutex>
#include <sstream>

#include "core/error.hpp"
#include "core/options.hpp"

namespace hc {

void register_builtin_analyses();  // interp/builtin_analyses.cpp

namespace {

std::vector<Analysis>& analysis_registry() {
  static std::vector<Analysis> r;
  return r;
}

void ensure_builtins() {
  static std::once_flag once;
  std::call_once(once, [] { register_builtin_analyses(); });
}

std::string names_list() {
  std::string s;
  for (const auto& a : analysis_registry()) s += (s.empty() ? "" : ", ") + a.name;
  return s;
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
  for (const auto& a : analysis_registry())
    if (a.name == analysis.name) throw Error("register_analysis: an analysis named '" + analysis.name + "' exists already");
  analysis_registry().push_back(std::move(analysis));
}

// The built-ins register through this, before ensure_builtins has returned.
void register_builtin(Analysis analysis) { analysis_registry().push_back(std::move(analysis)); }

const std::vector<Analysis>& analyses() {
  ensure_builtins();
  return analysis_registry();
}

const Analysis& find_analysis(const std::string& name, const std::string& option) {
  for (const auto& a : analyses())
    if (a.name == name) return a;
  std::vector<std::string> names;
  for (const auto& a : analyses()) names.push_back(a.name);
  throw Error(option + ": unknown analysis '" + name + "'" + did_you_mean(name, names) + " (valid analyses: " +
              names_list() + ")");
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
