#include "studies/head_study.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "interp/ablation.hpp"
#include "interp/attention_stats.hpp"
#include "interp/circuits.hpp"
#include "interp/dla.hpp"
#include "interp/edge_scaling.hpp"
#include "interp/head_metrics.hpp"
#include "interp/invariance.hpp"
#include "interp/logit_dynamics.hpp"
#include "interp/patch.hpp"
#include "interp/value_norms.hpp"
#include "interp/w01_intervention.hpp"

namespace hc {

const std::vector<std::string>& analysis_names() {
  static const std::vector<std::string> names = {"ablation",     "edge_scaling",     "attention",
                                                 "value_norms",  "invariance",       "dla",
                                                 "circuits",     "head_metrics",     "w01_intervention",
                                                 "logit_dynamics"};
  return names;
}

const std::vector<std::string>& count01_analysis_names() {
  static const std::vector<std::string> names = {"head_metrics", "w01_intervention", "logit_dynamics"};
  return names;
}

bool count01_analyses_apply(const ModelConfig& config, const Task& task) {
  return task.name() == "count01" && config.n_layers == 1;
}

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

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace

std::vector<std::string> parse_analysis_list(const std::string& list) {
  const auto& valid = analysis_names();
  std::vector<std::string> out;
  for (const auto& name : split(list)) {
    if (std::find(valid.begin(), valid.end(), name) == valid.end())
      throw Error("--only: unknown analysis '" + name + "' (valid analyses: " + join(valid, ", ") + ")");
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  if (out.empty()) throw Error("--only: give at least one analysis (valid analyses: " + join(valid, ", ") + ")");
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
  const auto& c01 = count01_analysis_names();
  auto is_c01 = [&](const std::string& n) { return std::find(c01.begin(), c01.end(), n) != c01.end(); };
  const bool c01_ok = count01_analyses_apply(c, task);
  std::vector<std::string> run;
  if (opt.only.empty()) {
    for (const auto& n : analysis_names())
      if (c01_ok || !is_c01(n)) run.push_back(n);
  } else {
    run = opt.only;
    for (const auto& n : run)
      if (is_c01(n) && !c01_ok)
        throw Error("--only: the analysis '" + n + "' needs a one-layer Count01 model (the paper's setting); this is " +
                    (task.name() == "count01" ? "a " + std::to_string(c.n_layers) + "-layer Count01 model"
                                              : "a " + task.name() + " model") +
                    ": drop " + join(c01, ", ") + " from --only");
  }
  auto wanted = [&](const std::string& n) { return std::find(run.begin(), run.end(), n) != run.end(); };
  for (int h : opt.heads_of_interest)
    if (h < 0 || h >= c.n_layers * c.n_heads)
      throw Error("--heads-of-interest: head " + std::to_string(h) + " is out of range: the model has " +
                  std::to_string(c.n_layers * c.n_heads) + " heads");

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
  s["analyses"] = run;
  auto starting = [&](const std::string& name) {
    if (opt.on_start) opt.on_start(name);
  };
  auto take = [&](const std::string& name, nlohmann::json summary, std::vector<Table> tables) {
    s[name] = std::move(summary);
    for (auto& t : tables) st.tables.push_back(std::move(t));
  };

  // Invariance first: a bad families file should fail before minutes of work.
  std::vector<std::vector<Example>> families;
  std::string families_source;
  if (wanted("invariance")) {
    if (!opt.families.empty()) {
      families = load_families(task, opt.families);
      families_source = opt.families;
    } else {
      families = default_families(task, opt.n_families, opt.seed);
      families_source = "generated families (seed " + std::to_string(opt.seed) + ", " +
                        std::to_string(families.size()) + ")";
    }
  }
  if (wanted("ablation")) {
    starting("ablation");
    AblationOptions ao;
    ao.threads = opt.threads;
    auto r = ablation_study(model, data, ao);
    take("ablation", r.summary, std::move(r.tables));
  }
  if (wanted("edge_scaling") || wanted("attention")) {
    const EdgeTarget target = default_edge_target(task);
    if (wanted("edge_scaling")) {
    starting("edge_scaling");
      EdgeScalingOptions eo;
      eo.threads = opt.threads;
      eo.pair_heads = opt.heads_of_interest;
      auto r = edge_scaling(model, data, target, eo);
      take("edge_scaling", r.summary, std::move(r.tables));
    }
    if (wanted("attention")) {
    starting("attention");
      auto r = attention_stats(model, task, data, target, opt.threads);
      take("attention", r.summary, std::move(r.tables));
    }
  }
  if (wanted("value_norms")) {
    starting("value_norms");
    auto r = value_norms(model, task);
    take("value_norms", r.summary, std::move(r.tables));
  }
  if (wanted("invariance")) {
    starting("invariance");
    auto r = invariance(model, task, families, families_source);
    take("invariance", r.summary, std::move(r.tables));
  }
  if (wanted("dla")) {
    starting("dla");
    auto r = dla(model, task, data);
    take("dla", r.summary, std::move(r.tables));
  }
  if (wanted("circuits")) {
    starting("circuits");
    auto r = circuits(model, task);
    take("circuits", r.summary, std::move(r.tables));
  }
  if (wanted("head_metrics") || wanted("w01_intervention")) {
    Dataset generated;
    const Dataset* train = opt.train;
    if (!train) {
      generated = generate(task, Split::Train, int(data.examples.size()), opt.seed, 2);
      generated.source = "generated train split (seed " + std::to_string(opt.seed) + ", stream 2, n " +
                         std::to_string(data.examples.size()) + ")";
      train = &generated;
    }
    if (train->examples.empty())
      throw Error("the train set '" + train->source + "' holds no examples: give a file with at least one example");
    s["train_set"] = train->source;
    s["n_train"] = train->examples.size();
    if (wanted("head_metrics")) {
    starting("head_metrics");
      auto r = head_metrics(model, task, *train, data);
      nlohmann::json heads = nlohmann::json::array();
      for (const auto& h : r.summary.at("heads"))
        heads.push_back({{"head", h.at("head")}, {"s_acc", h.at("s_acc")}, {"l_acc", h.at("l_acc")},
                         {"auc", h.at("auc")}, {"w01", h.at("w01")}, {"w02", h.at("w02")},
                         {"success", h.at("success")}, {"failure", h.at("failure")}});
      s["heads"] = heads;
      s["weighted_s_acc"] = r.weighted_s_acc;
      take("head_metrics", r.summary, std::move(r.tables));
    }
    if (wanted("w01_intervention")) {
    starting("w01_intervention");
      auto r = w01_intervention(model, task, *train, data);
      take("w01_intervention", r.summary, std::move(r.tables));
    }
  }
  if (wanted("logit_dynamics")) {
    starting("logit_dynamics");
    auto r = logit_dynamics(model, task, data);
    take("logit_dynamics", r.summary, std::move(r.tables));
  }
  st.text = summary_text(s);
  return st;
}

// ---- text summary ----

namespace {

std::string pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", 100.0 * x);
  return b;
}

std::string num(const nlohmann::json& j, const char* fmt = "%.2f") {
  if (j.is_null()) return "-";
  char b[32];
  std::snprintf(b, sizeof b, fmt, j.get<double>());
  return b;
}

// Head keys in head order ("0".."15" or "L0H0"..): JSON objects sort keys as
// strings, which would print head 10 before head 2.
std::vector<std::string> head_keys(const nlohmann::json& config) {
  const int L = config["n_layers"].get<int>(), H = config["n_heads"].get<int>();
  std::vector<std::string> keys;
  for (int f = 0; f < L * H; ++f)
    keys.push_back(L == 1 ? std::to_string(f) : "L" + std::to_string(f / H) + "H" + std::to_string(f % H));
  return keys;
}

// The other analyses label heads "head3" (one layer) or "L1H3".
std::vector<std::string> head_labels(const nlohmann::json& config) {
  std::vector<std::string> keys = head_keys(config);
  if (config["n_layers"].get<int>() == 1)
    for (auto& k : keys) k = "head" + k;
  return keys;
}

// "name v, name v" for the labels present in obj, in the given order.
template <class F>
std::string listing(const nlohmann::json& obj, const std::vector<std::string>& order, F value) {
  std::string out;
  for (const auto& k : order)
    if (obj.contains(k)) out += (out.empty() ? "" : ", ") + k + " " + value(obj[k]);
  return out;
}

std::string sets(const nlohmann::json& list) {
  std::vector<std::string> parts;
  for (const auto& set : list) {
    std::vector<std::string> h;
    for (const auto& x : set) h.push_back(x.get<std::string>());
    parts.push_back("{" + join(h, ",") + "}");
  }
  return parts.empty() ? "none" : join(parts, " ");
}

void ablation_text(std::ostringstream& o, const nlohmann::json& a, const std::vector<std::string>& keys) {
  const double full = a["full_accuracy"].get<double>();
  o << "\nAblation (" << a["method"].get<std::string>() << "): accuracy with a head removed / only it kept\n";
  o << "  head   zero-ablated   mean-ablated   only-kept (zero)\n";
  std::vector<std::pair<double, std::string>> drops;
  for (const auto& h : keys) {
    const auto& acc = a["zero"]["single"][h];
    char line[160];
    const std::string mean = a.contains("mean") ? pct(a["mean"]["single"][h].get<double>()) : "-";
    std::snprintf(line, sizeof line, "  %-6s %-14s %-14s %s\n", h.c_str(), pct(acc.get<double>()).c_str(), mean.c_str(),
                  pct(a["zero"]["only"][h].get<double>()).c_str());
    o << line;
    drops.push_back({full - acc.get<double>(), h});
  }
  std::sort(drops.rbegin(), drops.rend());
  // A head "matters" when removing it costs at least half a point; below
  // that, naming the largest drops would present noise as a finding.
  const double matters = 0.005;
  if (drops.empty() || drops[0].first < matters) {
    o << "  no head matters alone (largest zero-ablation drop "
      << num(drops.empty() ? 0.0 : 100.0 * std::max(0.0, drops[0].first), "%.1f") << " pts, below "
      << num(100.0 * matters, "%.1f") << ")\n";
  } else {
    o << "  heads that matter most (zero-ablation drop): ";
    for (size_t i = 0; i < drops.size() && i < 4 && drops[i].first >= matters; ++i)
      o << (i ? ", " : "") << drops[i].second << " (-" << num(100.0 * drops[i].first, "%.1f") << " pts)";
    o << "\n";
  }
  std::vector<std::pair<double, std::string>> pairs;
  for (const auto& [k, acc] : a["zero"]["pairs"].items()) pairs.push_back({acc.get<double>(), k});
  std::sort(pairs.begin(), pairs.end());
  o << "  worst pairs removed (zero): ";
  for (size_t i = 0; i < pairs.size() && i < 4; ++i) o << (i ? ", " : "") << "{" << pairs[i].second << "} " << pct(pairs[i].first);
  o << "\n";
  for (const char* m : {"zero", "mean"}) {
    if (!a.contains(m)) continue;
    const auto& j = a[m];
    o << "  " << m << ": minimal sufficient kept sets (>= " << pct(a["threshold"].get<double>())
      << "): " << sets(j["minimal_sufficient"]);
    std::vector<std::string> suff;
    for (const auto& [k, acc] : j["only_pairs"].items())
      if (acc.get<double>() >= a["threshold"].get<double>()) suff.push_back("{" + k + "}");
    const size_t n_suff = suff.size();
    if (n_suff > 8) suff.resize(8);
    o << "; sufficient pairs: " << (suff.empty() ? "none" : join(suff, " ")) << (n_suff > 8 ? " ... (" + std::to_string(n_suff) + " in all)" : "");
    o << "; groups: " << (j["groups"].is_string() ? "none" : sets(j["groups"])) << "\n";
  }
}

void edge_text(std::ostringstream& o, const nlohmann::json& e, const std::vector<std::string>& keys) {
  o << "\nEdge scaling (query -> " << e["target"].get<std::string>() << "): smallest s restoring full accuracy\n";
  for (const char* m : {"score", "weight"}) {
    if (!e.contains(m)) continue;
    o << "  " << m << " mode, head: recovery s (accuracy at s=0)\n   ";
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string& h = keys[i];
      o << " " << h << ": " << num(e[m]["recovery"][h]) << " (" << pct(e[m]["accuracy"][h][0].get<double>()) << ")";
      if (i % 6 == 5 && i + 1 < keys.size()) o << "\n   ";
    }
    std::vector<std::pair<double, std::string>> worst;
    for (const auto& [k, acc] : e[m]["pair_accuracy"].items()) worst.push_back({acc[0].get<double>(), k});
    std::sort(worst.begin(), worst.end());
    if (!worst.empty()) {
      o << "\n    pairs at s=0 (worst first): ";
      for (size_t i = 0; i < worst.size() && i < 4; ++i)
        o << (i ? ", " : "") << "{" << worst[i].second << "} " << pct(worst[i].first) << " (recovers at s>="
          << num(e[m]["pair_recovery"][worst[i].second]) << ")";
    }
    o << "\n";
  }
}

void attention_text(std::ostringstream& o, const nlohmann::json& a, const std::vector<std::string>& keys) {
  o << "\nAttention at the query (target: " << a["target"].get<std::string>()
    << "; top=target: the most-attended number is a target)\n";
  char head[64];
  std::snprintf(head, sizeof head, "  %-6s %-12s %-13s", "head", "top=target", "mass target");
  o << head;
  for (const auto& c : a["classes"]) {
    char col[64];
    std::snprintf(col, sizeof col, "  %-13s", ("mass " + c.get<std::string>()).c_str());
    o << col;
  }
  o << "\n";
  for (const auto& h : keys) {
    const auto& j = a["heads"][h];
    char line[64];
    std::snprintf(line, sizeof line, "  %-6s %-12s %-13s", h.c_str(), pct(j["top_is_target"].get<double>()).c_str(),
                  pct(j["mass_target"].get<double>()).c_str());
    o << line;
    for (const auto& c : a["classes"]) {
      char col[64];
      std::snprintf(col, sizeof col, "  %-13s", pct(j["mass"][c.get<std::string>()].get<double>()).c_str());
      o << col;
    }
    o << "\n";
  }
}

void count01_text(std::ostringstream& o, const nlohmann::json& s) {
  if (s.contains("head_metrics")) {
    const auto& m = s["head_metrics"];
    o << "\nCount01 head metrics at '=' (probe fitted on " << s["train_set"].get<std::string>() << ", "
      << s["n_train"] << " examples; scored on the eval set)\n";
    o << "  head   s-acc    l-acc    AUC       w01        w02        success  failure\n";
    for (const auto& h : m["heads"]) {
      char line[200];
      std::snprintf(line, sizeof line, "  %-6d %-8s %-8s %-9s %-10s %-10s %-8s %s\n", h["head"].get<int>(),
                    num(h["s_acc"], "%.4f").c_str(), num(h["l_acc"], "%.4f").c_str(), num(h["auc"], "%.5f").c_str(),
                    num(h["w01"], "%.4g").c_str(), num(h["w02"], "%.4g").c_str(), h["success"].get<bool>() ? "yes" : "no",
                    h["failure"].get<std::string>().c_str());
      o << line;
    }
    o << "  weighted head s-acc: " << num(m["weighted_s_acc"], "%.4f") << "; successful heads (s-acc >= "
      << num(m["thresholds"]["success_s_acc"]) << "): " << m["n_successful"] << " of " << m["heads"].size() << "\n";
  }
  if (s.contains("w01_intervention")) {
    const auto& w = s["w01_intervention"];
    o << "\nw01 intervention: s-acc with the head's attention at '=' replaced by the synthetic 0/1 row\n";
    o << "  head   now   ";
    for (const auto& g : w["grid"]) {
      char col[16];
      std::snprintf(col, sizeof col, " %-6s", num(g, "%.3g").c_str());
      o << col;
    }
    o << "   (w01)\n";
    for (const auto& h : w["heads"]) {
      char head[48];
      std::snprintf(head, sizeof head, "  %-6d %-6s", h["head"].get<int>(), num(h["s_acc_unmodified"]).c_str());
      o << head;
      for (const auto& a : h["s_acc"]) {
        char col[16];
        std::snprintf(col, sizeof col, " %-6s", num(a).c_str());
        o << col;
      }
      o << "\n";
    }
  }
  if (s.contains("logit_dynamics")) {
    const auto& d = s["logit_dynamics"];
    o << "\nLogit dynamics: the answer is the top logit at '=' in " << pct(d["answer_top_at_eq"].get<double>())
      << " of examples, EOS at the answer position in " << pct(d["eos_top_at_answer"].get<double>()) << " (both "
      << pct(d["both"].get<double>()) << ")\n";
    char header[200];
    std::snprintf(header, sizeof header, "  %-29s %-26s %s\n", "mean logit (4 / 5 / EOS)", "answer 4", "answer 5");
    o << header;
    for (const char* pos : {"eq", "answer"}) {
      auto triple = [&](const nlohmann::json& j) {
        return num(j["4"]) + " / " + num(j["5"]) + " / " + num(j["EOS"]);
      };
      char line[200];
      std::snprintf(line, sizeof line, "  %-29s %-26s %s\n", std::string(pos) == "eq" ? "at '='" : "at the answer",
                    triple(d["mean_logits"][pos]["4"]).c_str(), triple(d["mean_logits"][pos]["5"]).c_str());
      o << line;
      std::snprintf(line, sizeof line, "  %-29s %-26s %s\n", "  of which the heads",
                    triple(d["parts"][pos]["4"]["heads"]).c_str(), triple(d["parts"][pos]["5"]["heads"]).c_str());
      o << line;
    }
    o << "  heads biased toward 4: " << d["n_toward_4"] << ", toward 5: " << d["n_toward_5"] << "\n";
    o << "  head   bias 5-4   share   |W_O W_U| 4/5/EOS       favours at '=' (ans 4, 5)  at the answer (ans 4, 5)\n";
    for (const auto& h : d["heads"]) {
      const auto& n = h["wo_wu_norm"];
      const auto& f = h["favours"];
      auto fav = [](const nlohmann::json& j) { return j.is_null() ? std::string("-") : j.get<std::string>(); };
      char line[240];
      std::snprintf(line, sizeof line, "  %-6d %-10s %-7s %-23s %-26s %s\n", h["head"].get<int>(),
                    num(h["bias_45"]).c_str(),
                    h["share_of_logit_diff"].is_null() ? "-" : pct(h["share_of_logit_diff"].get<double>()).c_str(),
                    (num(n["4"]) + " / " + num(n["5"]) + " / " + num(n["EOS"])).c_str(),
                    (fav(f["eq"]["4"]) + ", " + fav(f["eq"]["5"])).c_str(),
                    (fav(f["answer"]["4"]) + ", " + fav(f["answer"]["5"])).c_str());
      o << line;
    }
  }
}

}  // namespace

std::string summary_text(const nlohmann::json& s) {
  std::ostringstream o;
  const auto& c = s["config"];
  o << "model:    " << s["model"].get<std::string>() << " (" << s["task"].get<std::string>() << ", L" << c["n_layers"]
    << " H" << c["n_heads"] << " D" << c["d_model"] << " E" << c["d_head"] << ")\n";
  o << "eval set: " << s["eval_set"].get<std::string>() << " (" << s["n_examples"] << " examples)\n";
  o << "accuracy: " << pct(s["accuracy"].get<double>()) << "\n";
  const std::vector<std::string> keys = head_keys(c);
  if (s.contains("ablation")) ablation_text(o, s["ablation"], keys);
  if (s.contains("edge_scaling")) edge_text(o, s["edge_scaling"], keys);
  if (s.contains("attention")) attention_text(o, s["attention"], keys);
  if (s.contains("dla")) {
    std::vector<std::string> parts = {"embed", "pos"};
    for (const auto& h : head_labels(c)) parts.push_back(h);
    parts.push_back("bias");
    o << "\nDirect logit attribution, share of the correct logit (mean logit " << num(s["dla"]["mean_logit"]) << "):\n  "
      << listing(s["dla"]["shares"], parts, [](const nlohmann::json& v) { return num(v, "%.1f") + "%"; }) << "\n";
  }
  if (s.contains("invariance")) o << "\nInvariance (" << s["invariance"]["n_families"] << " families): "
                                  << s["invariance"]["text"].get<std::string>() << "\n";
  const bool count01 = s["task"].get<std::string>() == "count01";
  if (s.contains("value_norms") && count01) {
    // Count01's symbols 0, 1, 2 are not numbers: no trend against a value.
    o << "\nValue norms |W_E W_V W_O| per head and symbol: value_norms.csv\n";
  } else if (s.contains("value_norms")) {
    o << "\nValue norms |W_E W_V W_O| against the number's value:\n  "
      << listing(s["value_norms"]["heads"], head_labels(c), [](const nlohmann::json& j) {
           return j["ov_norm"]["monotone"].get<std::string>() + " (rho " + num(j["ov_norm"]["spearman"]) + ")";
         })
      << "\n";
  }
  if (s.contains("circuits") && count01) {
    // Count01 has nothing to copy: what matters is which logit each symbol raises.
    std::vector<std::string> symbols;
    for (const auto& t : s["circuits"]["number_tokens"]) symbols.push_back(t.get<std::string>());
    o << "\nCircuits, per head: the logit the OV circuit raises most for the symbols " << join(symbols, " / ") << ":\n  "
      << listing(s["circuits"]["heads"], head_labels(c), [&](const nlohmann::json& j) {
           std::vector<std::string> raised;
           for (const auto& t : symbols) raised.push_back(j["ov_argmax"][t].get<std::string>());
           return join(raised, "/");
         })
      << "\n";
  } else if (s.contains("circuits")) {
    o << "\nCircuits, per head: OV copying (numbers whose own logit wins) / QK of the query token vs the value:\n  "
      << listing(s["circuits"]["heads"], head_labels(c), [](const nlohmann::json& j) {
           return pct(j["ov_copying"].get<double>()) + " / " + j["qk_monotone"].get<std::string>();
         })
      << "\n";
  }
  count01_text(o, s);
  return o.str();
}

}  // namespace hc
