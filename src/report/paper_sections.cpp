// The Count01 paper's figures in the report, from the tables `headcount
// analyze` (Count01) and `headcount reproduce` write: heads.csv,
// w01_intervention.csv, correlation.csv, isolated_vs_joint.csv,
// logit_dynamics.csv (docs/REPORT.md lists their columns).
#include <algorithm>
#include <map>

#include "report/section_kit.hpp"

namespace hc::report_kit {

namespace {

namespace fs = std::filesystem;

void paper_heads_section(ReportContent& c, const Tables& dir) {
  const auto t = read_csv_if_exists(dir, "heads");
  if (!t) return;
  t->require({"head", "s_acc", "w01", "w02", "success"});
  Builder b(c, "sec-paper-heads", "Heads: s-acc against w01 and w02");
  json values = json::array();
  int dropped = 0, n_success = 0, n_drawn_rows = 0;
  std::vector<std::string> extra;
  for (const char* k : {"model", "step", "l_acc", "auc", "failure"})
    if (t->find(k) >= 0) extra.push_back(k);
  // reproduce's heads.csv has a row per training checkpoint: the figure is of
  // trained heads, so only each model's last checkpoint is drawn.
  const bool by_step = t->find("model") >= 0 && t->find("step") >= 0;
  std::map<std::string, double> last_step;
  if (by_step)
    for (const auto& r : t->rows) {
      const double st = number(*t, r, "step");
      auto [it, fresh] = last_step.emplace(cell(*t, r, "model"), st);
      if (!fresh && st > it->second) it->second = st;
    }
  for (const auto& r : t->rows) {
    if (by_step && number(*t, r, "step") != last_step[cell(*t, r, "model")]) continue;
    ++n_drawn_rows;
    const double w01 = number(*t, r, "w01"), w02 = number(*t, r, "w02");
    const bool ok = truthy(cell(*t, r, "success"));
    n_success += ok;
    if (!(w01 > 0) || !(w02 > 0)) {
      ++dropped;
      continue;
    }
    json v = {{"head", cell(*t, r, "head")}, {"s_acc", jnum(number(*t, r, "s_acc"))}, {"w01", w01}, {"w02", w02},
              {"outcome", ok ? "successful" : "failed"}};
    for (const auto& k : extra)
      v[k] = k == "l_acc" || k == "auc" || k == "step" ? jnum(number(*t, r, k)) : json(cell(*t, r, k));
    values.push_back(std::move(v));
  }
  json tip = tooltip({{{"field", "head"}}, {{"field", "outcome"}}, {{"field", "s_acc"}, {"format", ".4f"}},
                      {{"field", "w01"}, {"format", ".4g"}}, {{"field", "w02"}, {"format", ".4g"}}});
  for (const auto& k : extra) tip.push_back({{"field", k}});
  auto panel = [&](const std::string& x, const std::string& title, double ref) {
    json pts = {{"mark", {{"type", "point"}, {"filled", true}, {"size", 60}}},
                {"encoding",
                 {{"x", {{"field", x}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", title}}},
                  {"y", {{"field", "s_acc"}, {"type", "quantitative"}, {"title", "s-acc"}, {"scale", {{"zero", false}}}}},
                  {"color", {{"field", "outcome"}, {"type", "nominal"}, {"title", nullptr},
                             {"scale", {{"domain", {"successful", "failed"}}, {"range", {"#d62728", "#9e9e9e"}}}}}},
                  {"tooltip", tip}}}};
    json rule = {{"data", {{"values", json::array({{{"ref", ref}}})}}},
                 {"mark", {{"type", "rule"}, {"strokeDash", {4, 4}}, {"color", "#666"}}},
                 {"encoding", {{"x", {{"field", "ref"}, {"type", "quantitative"}}}}}};
    return json{{"width", 300}, {"height", 240}, {"layer", json::array({pts, rule})}};
  };
  b.text("<p>Per head: separation accuracy (s-acc) against w01 (attention to one 0 over one 1) and w02 (one 0 over "
         "one 2), log scales. Successful heads (s-acc at least the threshold) in red: the paper finds them at w01 "
         "near 1 (dashed) and w02 above 10 (dashed). " + std::to_string(n_success) + " of " +
         std::to_string(n_drawn_rows) + " heads are successful" +
         (by_step ? " (" + std::to_string(last_step.size()) + " models, each at its last checkpoint)." : std::string(".")) +
         (dropped ? " " + std::to_string(dropped) + " heads without a positive w01 or w02 are not drawn." : std::string()) +
         "</p>");
  b.figure("fig-paper-heads", {{"data", {{"values", values}}}, {"hconcat", json::array({panel("w01", "w01 (log)", 1.0), panel("w02", "w02 (log)", 10.0)})}},
           "s-acc against w01 and against w02, one point per head.");
  b.text(source_note(*t));
  b.done();
}

void paper_w01_section(ReportContent& c, const Tables& dir) {
  const auto t = read_csv_if_exists(dir, "w01_intervention");
  if (!t) return;
  t->require({"head", "w01", "s_acc"});
  Builder b(c, "sec-paper-w01", "w01 intervention");
  json values = json::array();
  // reproduce's table holds several models and marks successful heads: one
  // line per (model, head), coloured by outcome; analyze's, one model's heads.
  const bool multi_model = t->find("model") >= 0 && distinct(*t, "model").size() > 1;
  const bool has_success = t->find("success") >= 0;
  std::vector<std::string> heads;
  for (const auto& r : t->rows) {
    const double w = number(*t, r, "w01");
    if (!(w > 0)) continue;
    const std::string series = multi_model ? cell(*t, r, "model") + " head " + cell(*t, r, "head") : cell(*t, r, "head");
    if (std::find(heads.begin(), heads.end(), series) == heads.end()) heads.push_back(series);
    json v = {{"head", series}, {"w01", w}, {"s_acc", jnum(number(*t, r, "s_acc"))}};
    if (has_success) v["outcome"] = truthy(cell(*t, r, "success")) ? "successful" : "failed";
    values.push_back(std::move(v));
  }
  json band = {{"data", {{"values", json::array({{{"lo", 0.1}, {"hi", 10.0}}})}}},
               {"mark", {{"type", "rect"}, {"color", "#2ca02c"}, {"opacity", 0.08}}},
               {"encoding", {{"x", {{"field", "lo"}, {"type", "quantitative"}}}, {"x2", {{"field", "hi"}}}}}};
  json lines = {{"data", {{"values", values}}},
                {"mark", {{"type", "line"}, {"point", true}}},
                {"encoding",
                 {{"x", {{"field", "w01"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", "w01 set by the intervention (log)"}}},
                  {"y", {{"field", "s_acc"}, {"type", "quantitative"}, {"title", "s-acc"}}},
                  {"color", {{"field", "head"}, {"type", "nominal"}, {"sort", heads}, {"title", "head"}}},
                  {"tooltip", tooltip({{{"field", "head"}}, {{"field", "w01"}, {"format", ".4g"}}, {{"field", "s_acc"}, {"format", ".4f"}}})}}}};
  if (has_success) {
    lines["encoding"]["color"] = {{"field", "outcome"}, {"type", "nominal"}, {"title", nullptr},
                                  {"scale", {{"domain", {"successful", "failed"}}, {"range", {"#d62728", "#9e9e9e"}}}}};
    lines["encoding"]["detail"] = {{"field", "head"}, {"type", "nominal"}};
    lines["encoding"]["tooltip"].push_back({{"field", "outcome"}});
  }
  b.text("<p>Each head's attention to 2 tokens is set to zero and its w01 swept over a log grid; s-acc of the head's "
         "output at each w01. The paper: s-acc stays high for 0.1 &lt; w01 &lt; 10 (shaded) and collapses outside.</p>");
  b.figure("fig-paper-w01", {{"width", 520}, {"height", 280}, {"layer", json::array({band, lines})}},
           "s-acc against the intervened w01, one line per head.");
  b.text(source_note(*t));
  b.done();
}

void paper_correlation_section(ReportContent& c, const Tables& dir, const json& summary) {
  const auto t = read_csv_if_exists(dir, "correlation");
  if (!t) return;
  t->require({"model", "weighted_s_acc", "accuracy"});
  Builder b(c, "sec-paper-correlation", "Weighted head s-acc against model accuracy");
  json values = json::array();
  std::vector<double> xs, ys;
  for (const auto& r : t->rows) {
    const double x = number(*t, r, "weighted_s_acc"), y = number(*t, r, "accuracy");
    json v = {{"model", cell(*t, r, "model")}, {"weighted_s_acc", jnum(x)}, {"accuracy", jnum(y)}};
    if (t->find("group") >= 0) v["group"] = cell(*t, r, "group");
    if (t->find("step") >= 0) v["step"] = jnum(number(*t, r, "step"));
    values.push_back(std::move(v));
    if (std::isfinite(x) && std::isfinite(y)) {
      xs.push_back(x);
      ys.push_back(y);
    }
  }
  std::string r_text;
  const json corr = summary.value("correlation", json());
  if (corr.is_object() && corr.contains("checkpoints") && corr["checkpoints"].is_object() &&
      corr["checkpoints"]["estimate"].is_number()) {
    // headcount reproduce: the clustered bootstrap over models (report/repro_sections.cpp draws the final models).
    const json& k = corr["checkpoints"];
    r_text = "r = " + num(k["estimate"].get<double>(), "%.2f");
    if (k["ci_low"].is_number() && k["ci_high"].is_number())
      r_text += ", 95% CI [" + num(k["ci_low"].get<double>(), "%.2f") + ", " + num(k["ci_high"].get<double>(), "%.2f") +
                "], clustered bootstrap over " + k["n"].dump() + " models (" + std::to_string(t->rows.size()) +
                " checkpoints)";
  } else if (corr.is_object() && corr.contains("r") && corr["r"].is_number()) {
    r_text = "r = " + num(corr["r"].get<double>(), "%.2f");
    if (corr.contains("ci_low") && corr.contains("ci_high") && corr["ci_low"].is_number() && corr["ci_high"].is_number())
      r_text += ", 95% CI [" + num(corr["ci_low"].get<double>(), "%.2f") + ", " + num(corr["ci_high"].get<double>(), "%.2f") + "]";
    if (corr.contains("n")) r_text += ", n = " + corr["n"].dump();
  } else if (xs.size() >= 2) {
    double mx = 0, my = 0;
    for (size_t i = 0; i < xs.size(); ++i) mx += xs[i] / double(xs.size()), my += ys[i] / double(xs.size());
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) * (xs[i] - mx);
      syy += (ys[i] - my) * (ys[i] - my);
    }
    r_text = sxx > 0 && syy > 0 ? "r = " + num(sxy / std::sqrt(sxx * syy), "%.2f") + ", n = " + std::to_string(xs.size())
                                : "r undefined (no spread)";
  } else {
    r_text = "r undefined (fewer than 2 models)";
  }
  json pts = {{"mark", {{"type", "point"}, {"filled", true}, {"size", 60}}},
              {"encoding",
               {{"x", {{"field", "weighted_s_acc"}, {"type", "quantitative"}, {"title", "weighted head s-acc"}, {"scale", {{"zero", false}}}}},
                {"y", {{"field", "accuracy"}, {"type", "quantitative"}, {"title", "model accuracy"}, {"scale", {{"zero", false}}}}},
                {"tooltip", tooltip({{{"field", "model"}}, {{"field", "weighted_s_acc"}, {"format", ".4f"}}, {{"field", "accuracy"}, {"format", ".4f"}}})}}}};
  if (t->find("group") >= 0) {
    pts["encoding"]["color"] = {{"field", "group"}, {"type", "nominal"}, {"title", "models"}};
    pts["encoding"]["tooltip"].push_back({{"field", "group"}});
  }
  if (t->find("step") >= 0) pts["encoding"]["tooltip"].push_back({{"field", "step"}, {"title", "checkpoint step"}});
  json fit = {{"transform", json::array({{{"regression", "accuracy"}, {"on", "weighted_s_acc"}}})},
              {"mark", {{"type", "line"}, {"color", "#d62728"}}},
              {"encoding", {{"x", {{"field", "weighted_s_acc"}, {"type", "quantitative"}}}, {"y", {{"field", "accuracy"}, {"type", "quantitative"}}}}}};
  b.text("<p>One point per model: the s-acc of its heads weighted by how much each head moves the 4-vs-5 decision, "
         "against the model's accuracy; red: least-squares line. The paper reports r = 0.72. Here: " +
         html_escape(r_text) + ".</p>");
  json layers = json::array({pts});
  if (xs.size() >= 2) layers.push_back(fit);
  b.figure("fig-paper-correlation",
           {{"data", {{"values", values}}}, {"title", "weighted head s-acc vs model accuracy (" + r_text + ")"},
            {"width", 380}, {"height", 280}, {"layer", layers}},
           "Weighted head s-acc against model accuracy.");
  b.text(source_note(*t));
  b.done();
}

void paper_isolated_section(ReportContent& c, const Tables& dir) {
  const auto t = read_csv_if_exists(dir, "isolated_vs_joint");
  if (!t) return;
  t->require({"group", "s_acc"});
  Builder b(c, "sec-paper-isolated", "Heads trained in isolation against heads trained jointly");
  json values = json::array();
  std::vector<std::string> metrics;
  for (const char* k : {"s_acc", "l_acc", "auc"})
    if (t->find(k) >= 0) metrics.push_back(k);
  std::map<std::string, std::pair<double, int>> mean_s;    // group -> (sum s_acc, n)
  std::map<std::string, std::pair<int, int>> successes;    // group -> (successful, n)
  for (const auto& r : t->rows) {
    const std::string g = cell(*t, r, "group");
    for (const auto& m : metrics) {
      const double v = number(*t, r, m);
      if (!std::isfinite(v)) continue;
      json p = {{"group", g}, {"metric", m == "s_acc" ? "s-acc" : m == "l_acc" ? "l-acc" : "AUC"}, {"value", v}};
      if (t->find("model") >= 0) p["model"] = cell(*t, r, "model");
      if (t->find("head") >= 0) p["head"] = cell(*t, r, "head");
      values.push_back(std::move(p));
    }
    const double s = number(*t, r, "s_acc");
    if (std::isfinite(s)) mean_s[g].first += s, mean_s[g].second += 1;
    if (t->find("success") >= 0) successes[g].first += truthy(cell(*t, r, "success")), successes[g].second += 1;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [g, sn] : mean_s) {
    std::string succ = "-";
    if (successes.count(g) && successes[g].second)
      succ = std::to_string(successes[g].first) + " / " + std::to_string(successes[g].second);
    rows.push_back({g, std::to_string(sn.second), num(sn.first / sn.second, "%.4f"), succ});
  }
  json groups = json::array({"isolated", "joint"});
  json box = {{"mark", {{"type", "boxplot"}, {"extent", "min-max"}, {"opacity", 0.5}}},
              {"encoding",
               {{"x", {{"field", "group"}, {"type", "nominal"}, {"sort", groups}, {"title", nullptr}}},
                {"y", {{"field", "value"}, {"type", "quantitative"}, {"scale", {{"zero", false}}}, {"title", nullptr}}},
                {"color", {{"field", "group"}, {"type", "nominal"}, {"sort", groups}, {"legend", nullptr}}}}}};
  json pts = {{"mark", {{"type", "tick"}, {"opacity", 0.7}}},
              {"encoding",
               {{"x", {{"field", "group"}, {"type", "nominal"}, {"sort", groups}}},
                {"y", {{"field", "value"}, {"type", "quantitative"}}},
                {"color", {{"field", "group"}, {"type", "nominal"}, {"sort", groups}, {"legend", nullptr}}},
                {"tooltip", tooltip({{{"field", "group"}}, {{"field", "model"}}, {{"field", "head"}}, {{"field", "metric"}}, {{"field", "value"}, {"format", ".4f"}}})}}}};
  b.text("<p>The distribution of each head metric for heads trained alone (1-head models) and heads trained "
         "together; the paper's Table 1 finds isolated heads slightly better.</p>");
  b.text(table_html({"group", "heads", "mean s-acc", "successful"}, rows));
  b.figure("fig-paper-isolated",
           {{"data", {{"values", values}}},
            {"facet", {{"column", {{"field", "metric"}, {"type", "nominal"}, {"title", nullptr}}}}},
            {"resolve", {{"scale", {{"y", "independent"}}}}},
            {"spec", {{"width", 160}, {"height", 220}, {"layer", json::array({box, pts})}}}},
           "Isolated against joint heads: box (min to max, quartiles) and one tick per head.");
  b.text(source_note(*t));
  b.done();
}

void paper_logit_section(ReportContent& c, const Tables& dir) {
  const auto t = read_csv_if_exists(dir, "logit_dynamics");
  if (!t) return;
  t->require({"head", "position", "token", "contribution"});
  Builder b(c, "sec-paper-logit-dynamics", "Logit dynamics: the answer at =, EOS one step later");
  json values = json::array(), totals = json::array();
  // analyze's table splits the logit into parts (head index, embed, pos, bias)
  // per answer class (4, 5, all), with the model's own logit as part "logit":
  // the stack draws the parts averaged over all examples, the tick the logit.
  // Without those rows the tick is the sum of the parts drawn.
  const int answer_col = t->find("answer");
  std::map<std::pair<std::string, std::string>, double> sum, logit;
  std::vector<std::string> parts;
  const std::vector<std::string> tokens = distinct(*t, "token");
  for (const auto& r : t->rows) {
    if (answer_col >= 0 && r[size_t(answer_col)] != "all") continue;
    const double v = number(*t, r, "contribution");
    const std::string pos = cell(*t, r, "position") == "eq" ? "at =" : cell(*t, r, "position") == "answer" ? "at the answer" : cell(*t, r, "position");
    const std::string& h = cell(*t, r, "head");
    if (h == "logit") {
      if (std::isfinite(v)) logit[{pos, cell(*t, r, "token")}] = v;
      continue;
    }
    const std::string part = csv_value(h).is_number() ? "head " + h : h;
    if (std::find(parts.begin(), parts.end(), part) == parts.end()) parts.push_back(part);
    values.push_back({{"head", part}, {"position", pos}, {"token", cell(*t, r, "token")}, {"value", jnum(v)}});
    if (std::isfinite(v)) sum[{pos, cell(*t, r, "token")}] += v;
  }
  const bool model_logit = !logit.empty();
  const std::string total_title = model_logit ? "the model's logit" : "sum of the parts";
  std::map<std::string, std::pair<std::string, double>> best;  // position -> (token, total)
  for (const auto& [k, v] : model_logit ? logit : sum) {
    totals.push_back({{"position", k.first}, {"token", k.second}, {"total", v}});
    if (!best.count(k.first) || v > best[k.first].second) best[k.first] = {k.second, v};
  }
  std::string finding;
  for (const auto& [pos, tv] : best)
    finding += (finding.empty() ? "" : "; ") + pos + " the highest logit of the three is " + tv.first;
  const std::vector<std::string>& heads = parts;
  json bars = {{"mark", "bar"},
               {"encoding",
                {{"x", {{"field", "token"}, {"type", "nominal"}, {"sort", tokens}, {"title", "logit of token"}, {"axis", {{"labelAngle", 0}}}}},
                 {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", "contribution"}, {"stack", "zero"}}},
                 {"color", {{"field", "head"}, {"type", "nominal"}, {"sort", heads}, {"title", "part"}}},
                 {"tooltip", tooltip({{{"field", "position"}}, {{"field", "token"}}, {{"field", "head"}, {"title", "part"}}, {{"field", "value"}, {"format", ".4f"}}})}}}};
  json ticks = {{"data", {{"values", totals}}},
                {"mark", {{"type", "tick"}, {"color", "black"}, {"thickness", 3}}},
                {"encoding",
                 {{"x", {{"field", "token"}, {"type", "nominal"}, {"sort", tokens}}},
                  {"y", {{"field", "total"}, {"type", "quantitative"}}},
                  {"tooltip", tooltip({{{"field", "position"}}, {{"field", "token"}}, {{"field", "total"}, {"title", total_title}, {"format", ".4f"}}})}}}};
  // A facet's layers must share its data: the ticks ride along as rows of their own.
  for (auto& v : totals) v["value"] = nullptr, v["head"] = nullptr;
  json all = values;
  for (auto& v : totals) all.push_back(v);
  bars["transform"] = json::array({{{"filter", "datum.head != null"}}});
  ticks.erase("data");
  ticks["transform"] = json::array({{{"filter", "datum.head == null"}}});
  b.text("<p>The direct contributions to the logits of 4, 5 and EOS (each head's, and the embedding's, position's "
         "and biases' where the table has them), at the = position and one step later at the answer position, "
         "stacked; the black tick is " + total_title + (answer_col >= 0 ? ", averaged over all examples" : "") +
         ". Heads lean toward 4 or 5; the output layer weighs them so that the answer wins at = and EOS wins at the "
         "answer. Here: " + html_escape(finding) + ".</p>");
  b.figure("fig-paper-logit-dynamics",
           {{"data", {{"values", all}}},
            {"facet", {{"column", {{"field", "position"}, {"type", "nominal"}, {"sort", {"at =", "at the answer"}}, {"title", nullptr}}}}},
            {"spec", {{"width", {{"step", 50}}}, {"height", 260}, {"layer", json::array({bars, ticks})}}}},
           "Per-head logit contributions at = and at the answer position.");
  b.text(source_note(*t));
  b.done();
}

}  // namespace

void add_paper_sections(ReportContent& c, const Tables& dir, const json& summary) {
  paper_heads_section(c, dir);
  paper_w01_section(c, dir);
  paper_correlation_section(c, dir, summary);
  paper_isolated_section(c, dir);
  paper_logit_section(c, dir);
  add_reproduce_sections(c, dir, summary);
}

}  // namespace hc::report_kit
