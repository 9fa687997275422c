#include "studies/head_study.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "interp/patch.hpp"
#include "model/config.hpp"

namespace hc {

namespace {

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    out.push_back(item);
  }
  return out;
}

}  // namespace

std::vector<std::string> parse_analysis_names(const std::string& list) {
  std::vector<std::string> out;
  for (const Analysis* a : parse_analysis_list(list, "--only")) out.push_back(a->name);
  return out;
}

std::vector<int> parse_head_list(const std::string& list, int n_heads, const std::string& option) {
  std::vector<int> out;
  for (const auto& item : split(list)) {
    size_t used = 0;
    int h = -1;
    try {
      h = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size())
      throw Error(option + ": '" + item + "' is not a head index (give comma-separated numbers such as 0,2)");
    if (h < 0 || h >= n_heads)
      throw Error(option + ": head " + item + " is out of range: the model has " + std::to_string(n_heads) +
                  " heads, numbered 0.." + std::to_string(n_heads - 1));
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  }
  return out;
}

HeadStudy head_study(const Model<float>& model, const Task& task, const Dataset& data, const HeadStudyOptions& opt) {
  if (data.examples.empty())
    throw Error("the evaluation set '" + data.source + "' holds no examples: give a file with at least one example");
  const ModelConfig& c = model.config();
  for (int h : opt.heads_of_interest)
    if (h < 0 || h >= c.n_layers * c.n_heads)
      throw Error("--heads-of-interest: head " + std::to_string(h) + " is out of range: the model has " +
                  std::to_string(c.n_layers * c.n_heads) + " heads");
  AnalysisOptions ao;
  ao.threads = opt.threads;
  ao.seed = opt.seed;
  ao.heads_of_interest = opt.heads_of_interest;
  ao.families = opt.families;
  ao.n_families = opt.n_families;
  ao.train = opt.train;
  const AnalysisContext ctx{model, task, data, ao};
  // Which analyses: --only's, each of which must apply and have its inputs,
  // or every default one that does. They run in registry order.
  auto why_not = [&](const Analysis& a) {
    std::string why = a.not_applicable(c, task);
    if (why.empty() && a.missing_input) why = a.missing_input(ctx);
    return why;
  };
  for (const auto& name : opt.only) {
    const std::string why = why_not(find_analysis(name, "--only"));
    if (!why.empty()) throw Error("--only: the analysis '" + name + "' " + why + ": drop " + name + " from --only");
  }
  std::vector<const Analysis*> run;
  nlohmann::json not_run = nlohmann::json::object();  // left out by default, and why
  for (const Analysis& a : analyses()) {
    bool chosen = opt.only.empty() ? a.by_default && why_not(a).empty()
                                   : std::find(opt.only.begin(), opt.only.end(), a.name) != opt.only.end();
    if (chosen && opt.only.empty() && a.skip_by_default) {
      const std::string why = a.skip_by_default(ctx);
      if (!why.empty()) not_run[a.name] = why, chosen = false;
    }
    if (chosen) run.push_back(&a);
  }
  // Cheap input checks first (a bad families file), before minutes of work.
  for (const Analysis* a : run)
    if (a->precheck) a->precheck(ctx);

  HeadStudy st;
  PatchOptions po;
  po.threads = opt.threads;
  nlohmann::json& s = st.summary;
  s["model"] = opt.model_source;
  s["task"] = task.name();
  s["config"] = to_json(c);  // the keys of config.json's "model" (docs/CLI.md, the --json schema)
  s["eval_set"] = data.source;
  s["n_examples"] = data.examples.size();
  s["accuracy"] = clean_metric(model, data, po);
  std::vector<std::string> names = opt.only;
  if (names.empty())
    for (const Analysis* a : run) names.push_back(a->name);
  s["analyses"] = names;
  if (!not_run.empty()) s["not_run"] = not_run;
  for (const Analysis* a : run) {
    if (opt.progress) opt.progress(a->name);
    std::shared_ptr<const AnalysisResult> r = a->run(ctx);
    s[a->name] = r->summary();
    const nlohmann::json top = r->top_level();
    for (const auto& [k, v] : top.items()) s[k] = v;
    for (const Table& t : r->tables()) st.tables.push_back(t);
    st.results.push_back({a, std::move(r)});
  }
  st.text = study_text(st, c);
  return st;
}

std::string study_text(const HeadStudy& st, const ModelConfig& c) {
  const nlohmann::json& s = st.summary;
  std::ostringstream o;
  char acc[32];
  std::snprintf(acc, sizeof acc, "%.2f%%", 100.0 * s["accuracy"].get<double>());
  o << "model:    " << s["model"].get<std::string>() << " (" << s["task"].get<std::string>() << ", L" << c.n_layers
    << " H" << c.n_heads << " D" << c.d_model << " E" << c.d_head << ")\n";
  o << "eval set: " << s["eval_set"].get<std::string>() << " (" << s["n_examples"] << " examples)\n";
  o << "accuracy: " << acc << "\n";
  std::vector<const StudyResult*> blocks;
  for (const auto& r : st.results) blocks.push_back(&r);
  std::stable_sort(blocks.begin(), blocks.end(),
                   [](const StudyResult* a, const StudyResult* b) { return a->analysis->text_order < b->analysis->text_order; });
  for (const StudyResult* r : blocks) r->result->text(o, c);
  if (s.contains("not_run")) {
    o << "\nNot run by default:\n";
    for (const auto& [name, why] : s["not_run"].items()) o << "  " << name << ": " << why.get<std::string>() << "\n";
  }
  return o.str();
}

}  // namespace hc
