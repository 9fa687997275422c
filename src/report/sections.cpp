// Each section of the report from the tables in an output directory. The
// tables are the contract: their names and columns are listed in
// docs/REPORT.md, and a section appears exactly when its tables exist.
#include "report/sections.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "report/csv.hpp"

namespace hc {

namespace fs = std::filesystem;
using nlohmann::json;

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

std::string pct(double x, int digits = 2) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f%%", digits, 100.0 * x);
  return b;
}

std::string num(double x, const char* fmt = "%.3g") {
  char b[32];
  std::snprintf(b, sizeof b, fmt, x);
  return b;
}

// A cell as a label: numbers as written ("3", not 3.0), anything else as is.
std::string label(const std::string& cell) { return cell; }

bool truthy(const std::string& cell) {
  return cell == "true" || cell == "True" || cell == "1" || cell == "yes";
}

double number(const CsvTable& t, const std::vector<std::string>& row, const std::string& col) {
  const json v = csv_value(row[size_t(t.find(col))]);
  return v.is_number() ? v.get<double>() : std::nan("");
}

const std::string& cell(const CsvTable& t, const std::vector<std::string>& row, const std::string& col) {
  return row[size_t(t.find(col))];
}

// Values of a column in order of first appearance.
std::vector<std::string> distinct(const CsvTable& t, const std::string& col) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& r : t.rows)
    if (seen.insert(cell(t, r, col)).second) out.push_back(cell(t, r, col));
  return out;
}

json jnum(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

class Builder {
 public:
  Builder(ReportContent& c, std::string id, std::string title) : c_(c) {
    s_.id = std::move(id);
    s_.title = std::move(title);
  }
  void text(const std::string& html) { s_.html += html + "\n"; }
  void figure(const std::string& id, json spec, const std::string& caption) {
    s_.html += "<figure><div class=\"vis\" id=\"" + id + "\"></div><figcaption>" + caption + "</figcaption></figure>\n";
    c_.figures[id] = std::move(spec);
    c_.figure_ids.push_back(id);
  }
  void done() { c_.sections.push_back(std::move(s_)); }

 private:
  ReportContent& c_;
  ReportSection s_;
};

std::string table_html(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
                       const std::string& cls = "") {
  std::string h = "<table" + (cls.empty() ? "" : " class=\"" + cls + "\"") + "><thead><tr>";
  for (const auto& x : head) h += "<th>" + html_escape(x) + "</th>";
  h += "</tr></thead><tbody>";
  for (const auto& r : rows) {
    h += "<tr>";
    for (const auto& x : r) h += "<td>" + html_escape(x) + "</td>";
    h += "</tr>";
  }
  return h + "</tbody></table>";
}

std::string source_note(const CsvTable& t) {
  return "<p class=\"source\">Data: <code>" + html_escape(fs::path(t.source).filename().string()) + "</code></p>";
}

json tooltip(std::initializer_list<json> fields) {
  json out = json::array();
  for (const auto& f : fields) out.push_back(f);
  return out;
}

// ---- model card ----

void model_section(ReportContent& c, const ReportInputs& in) {
  if (in.model.is_null()) return;
  Builder b(c, "sec-model", "Model card");
  const json& m = in.model;
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const std::string& k, const json& v) {
    if (v.is_null()) return;
    rows.push_back({k, v.is_string() ? v.get<std::string>() : v.dump()});
  };
  add("model", m.value("source", json()));
  add("task", m.value("task", json()));
  if (m.contains("config"))
    for (const char* k : {"L", "D", "H", "E", "V", "T", "pos_embed", "biases"})
      if (m["config"].contains(k)) add(k, m["config"][k]);
  add("parameters", m.value("parameters", json()));
  if (m.contains("accuracy") && m["accuracy"].is_number()) rows.push_back({"accuracy", pct(m["accuracy"].get<double>())});
  add("evaluation set", m.value("eval_set", json()));
  b.text("<p>L layers, D d_model, H heads, E d_head, V vocabulary, T context.</p>");
  b.text(table_html({"", ""}, rows, "card"));
  if (!in.train_log.empty() && fs::exists(in.train_log)) {
    const CsvTable log = parse_csv(read_file(in.train_log), in.train_log);
    log.require({"step", "train_loss", "test_loss", "test_accuracy"});
    json loss = json::array(), acc = json::array();
    for (const auto& r : log.rows) {
      const double step = number(log, r, "step");
      for (const char* k : {"train_loss", "test_loss"}) {
        const double v = number(log, r, k);
        if (std::isfinite(v) && v > 0) loss.push_back({{"step", step}, {"series", k}, {"loss", v}});
      }
      for (const char* k : {"test_accuracy", "test_eos_accuracy"})
        if (log.find(k) >= 0) acc.push_back({{"step", step}, {"series", k}, {"accuracy", jnum(number(log, r, k))}});
    }
    const json x = {{"field", "step"}, {"type", "quantitative"}, {"title", "step"}};
    b.figure("fig-train-loss",
             {{"data", {{"values", loss}}},
              {"width", 420}, {"height", 220},
              {"title", "Loss (log scale)"},
              {"mark", {{"type", "line"}, {"point", true}}},
              {"encoding",
               {{"x", x},
                {"y", {{"field", "loss"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}}},
                {"color", {{"field", "series"}, {"type", "nominal"}, {"title", nullptr}}},
                {"tooltip", tooltip({{{"field", "step"}}, {{"field", "series"}}, {{"field", "loss"}, {"format", ".6g"}}})}}}},
             "Training and held-out loss against the step, from <code>" +
                 html_escape(fs::path(in.train_log).filename().string()) + "</code>.");
    b.figure("fig-train-accuracy",
             {{"data", {{"values", acc}}},
              {"width", 420}, {"height", 220},
              {"title", "Held-out accuracy"},
              {"mark", {{"type", "line"}, {"point", true}}},
              {"encoding",
               {{"x", x},
                {"y", {{"field", "accuracy"}, {"type", "quantitative"}, {"axis", {{"format", "%"}}}}},
                {"color", {{"field", "series"}, {"type", "nominal"}, {"title", nullptr}}},
                {"tooltip", tooltip({{{"field", "step"}}, {{"field", "series"}}, {{"field", "accuracy"}, {"format", ".4%"}}})}}}},
             "Answer accuracy and EOS accuracy on the held-out set at each evaluation.");
  } else {
    b.text("<p>No training curve: the model was not loaded from a run directory with a <code>train_log.csv</code>.</p>");
  }
  b.done();
}

// ---- attention patterns ----

void attention_section(ReportContent& c, const ReportInputs& in, const std::vector<std::string>& heads) {
  if (in.attention.empty()) return;
  Builder b(c, "sec-attention", "Attention patterns");
  json examples = json::array();
  for (const auto& e : in.attention) {
    json pats = json::array();
    for (const auto& p : e.pattern) {
      json row = json::array();
      // Six decimals: what the tooltip shows, and a sixth of the page's size.
      for (float w : p) row.push_back(std::round(double(w) * 1e6) / 1e6);
      pats.push_back(std::move(row));
    }
    examples.push_back({{"text", e.text}, {"tokens", e.tokens}, {"query_pos", e.query_pos}, {"answer", e.answer},
                        {"prediction", e.prediction}, {"patterns", pats}});
  }
  if (heads.size() != in.attention[0].pattern.size())
    throw Error("report: " + std::to_string(heads.size()) + " head labels for " +
                std::to_string(in.attention[0].pattern.size()) + " attention patterns (a caller bug: give one label per head)");
  c.attention = {{"examples", examples}, {"heads", heads}};
  b.text("<p>Each head's attention pattern on one example: row = query position, column = key position, both "
         "labelled with their tokens; the darker, the more weight. Hover a cell for the exact weight. The query "
         "position (where the answer is predicted) is marked with ▸.</p>");
  b.text("<p><label for=\"attention-example\">Example: </label><select id=\"attention-example\"></select></p>");
  b.figure("fig-attention", nullptr, "Attention weights (softmax of the scores) per head.");
  c.figures.erase("fig-attention");  // drawn by page.js from the examples
  b.done();
}

// ---- ablation ----

void ablation_section(ReportContent& c, const std::string& dir, const json& summary) {
  const auto zero_single = read_csv_if_exists(dir, "ablation_zero_single");
  if (!zero_single) return;
  Builder b(c, "sec-ablation", "Ablation");
  const std::vector<std::pair<std::string, std::string>> singles = {
      {"ablation_zero_single", "zero-ablated"}, {"ablation_mean_single", "mean-ablated"},
      {"ablation_zero_only", "only kept (zero)"}, {"ablation_mean_only", "only kept (mean)"}};
  json bars = json::array(), conds = json::array();
  std::vector<std::string> heads;
  for (const auto& [name, cond] : singles) {
    const auto t = read_csv_if_exists(dir, name);
    if (!t) continue;
    const std::string key = name.find("_only") != std::string::npos ? "kept" : "ablated";
    t->require({key, "accuracy"});
    conds.push_back(cond);
    for (const auto& r : t->rows) {
      bars.push_back({{"head", label(cell(*t, r, key))}, {"condition", cond}, {"accuracy", jnum(number(*t, r, "accuracy"))}});
      if (std::find(heads.begin(), heads.end(), cell(*t, r, key)) == heads.end()) heads.push_back(cell(*t, r, key));
    }
  }
  const json a = summary.value("ablation", json::object());
  const double full = a.contains("full_accuracy") ? a["full_accuracy"].get<double>()
                                                  : summary.value("accuracy", std::nan(""));
  json layers = json::array();
  layers.push_back(
      {{"data", {{"values", bars}}},
       {"mark", "bar"},
       {"encoding",
        {{"x", {{"field", "head"}, {"type", "nominal"}, {"sort", heads}, {"title", "head"}, {"axis", {{"labelAngle", 0}}}}},
         {"xOffset", {{"field", "condition"}, {"type", "nominal"}, {"sort", conds}}},
         {"y", {{"field", "accuracy"}, {"type", "quantitative"}, {"scale", {{"domain", {0, 1}}}}, {"axis", {{"format", "%"}}}}},
         {"color", {{"field", "condition"}, {"type", "nominal"}, {"sort", conds}, {"title", nullptr}}},
         {"tooltip", tooltip({{{"field", "head"}}, {{"field", "condition"}}, {{"field", "accuracy"}, {"format", ".4%"}}})}}}});
  if (std::isfinite(full))
    layers.push_back({{"data", {{"values", json::array({{{"full", full}, {"what", "full model"}}})}}},
                      {"mark", {{"type", "rule"}, {"strokeDash", {4, 4}}, {"color", "#444"}}},
                      {"encoding", {{"y", {{"field", "full"}, {"type", "quantitative"}}},
                                    {"tooltip", tooltip({{{"field", "what"}}, {{"field", "full"}, {"format", ".4%"}}})}}}});
  b.text("<p>A head is ablated by replacing its output z at every position by zero or by its mean over the "
         "evaluation set. Bars: accuracy with one head removed, and with only that head kept" +
         std::string(std::isfinite(full) ? "; the dashed line is the full model (" + pct(full) + ")" : "") + ".</p>");
  b.figure("fig-ablation-single", {{"width", {{"step", 18}}}, {"height", 220}, {"layer", layers}},
           "Accuracy with a single head ablated, or with only it kept.");

  json cells = json::array();
  for (const char* mode : {"zero", "mean"}) {
    const auto t = read_csv_if_exists(dir, std::string("ablation_") + mode + "_pairs");
    if (!t) continue;
    t->require({"ablated", "accuracy"});
    for (const auto& r : t->rows) {
      const std::string key = cell(*t, r, "ablated");
      const size_t comma = key.find(',');
      if (comma == std::string::npos) continue;
      const std::string i = key.substr(0, comma), j = key.substr(comma + 1);
      const json acc = jnum(number(*t, r, "accuracy"));
      cells.push_back({{"mode", std::string(mode) + " ablation"}, {"head_a", i}, {"head_b", j}, {"accuracy", acc}});
      cells.push_back({{"mode", std::string(mode) + " ablation"}, {"head_a", j}, {"head_b", i}, {"accuracy", acc}});
    }
  }
  if (!cells.empty()) {
    const json enc_xy = {{"x", {{"field", "head_a"}, {"type", "ordinal"}, {"sort", heads}, {"title", "head"}}},
                         {"y", {{"field", "head_b"}, {"type", "ordinal"}, {"sort", heads}, {"title", "head"}}}};
    json rect = {{"mark", "rect"},
                 {"encoding", enc_xy}};
    rect["encoding"]["color"] = {{"field", "accuracy"}, {"type", "quantitative"}, {"scale", {{"domain", {0, 1}}, {"scheme", "viridis"}}},
                                 {"legend", {{"format", "%"}}}};
    rect["encoding"]["tooltip"] = tooltip({{{"field", "mode"}}, {{"field", "head_a"}, {"title", "head"}},
                                           {{"field", "head_b"}, {"title", "and head"}}, {{"field", "accuracy"}, {"format", ".4%"}}});
    b.figure("fig-ablation-pairs",
             {{"data", {{"values", cells}}},
              {"facet", {{"column", {{"field", "mode"}, {"type", "nominal"}, {"title", nullptr}}}}},
              {"spec", {{"width", {{"step", heads.size() > 8 ? 14 : 28}}}, {"height", {{"step", heads.size() > 8 ? 14 : 28}}},
                        {"layer", json::array({rect})}}}},
             "Accuracy with a pair of heads removed (symmetric; the diagonal is empty).");
  }

  std::string sets_html;
  for (const char* mode : {"zero", "mean"}) {
    const auto t = read_csv_if_exists(dir, std::string("ablation_") + mode + "_minimal_sets");
    if (!t) continue;
    t->require({"kept", "size", "accuracy"});
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : t->rows)
      rows.push_back({"{" + cell(*t, r, "kept") + "}", cell(*t, r, "size"), pct(number(*t, r, "accuracy"))});
    if (rows.empty()) rows.push_back({"none: no kept set reaches the threshold", "", ""});
    std::string groups = "none";
    if (a.contains(mode) && a[mode].contains("groups") && a[mode]["groups"].is_array()) {
      groups.clear();
      for (const auto& g : a[mode]["groups"]) {
        std::string s;
        for (const auto& h : g) s += (s.empty() ? "" : ",") + (h.is_string() ? h.get<std::string>() : h.dump());
        groups += "{" + s + "} ";
      }
    }
    sets_html += "<div class=\"sets\"><h3>" + std::string(mode) + " ablation</h3>" +
                 table_html({"minimal sufficient kept set", "size", "accuracy"}, rows) +
                 "<p>functional groups: " + html_escape(groups) + "</p></div>";
  }
  if (!sets_html.empty()) {
    std::string thr = a.contains("threshold") ? " (accuracy at least " + pct(a["threshold"].get<double>()) + ", 0.99 of the full model)" : "";
    b.text("<h3>Minimal sufficient head sets</h3><p>The smallest sets of heads that, kept alone, suffice" +
           html_escape(thr) + ".</p><div class=\"row\">" + sets_html + "</div>");
  }
  b.text(source_note(*zero_single));
  b.done();
}

// ---- attention-edge scaling ----

void edge_section(ReportContent& c, const std::string& dir, const json& summary) {
  std::vector<std::string> modes;
  for (const char* m : {"score", "weight"})
    if (fs::exists(fs::path(dir) / ("edge_scaling_" + std::string(m) + ".csv"))) modes.push_back(m);
  if (modes.empty()) return;
  Builder b(c, "sec-edge-scaling", "Attention-edge scaling");
  json values = json::array();
  std::vector<std::string> heads;
  for (const auto& m : modes) {
    const auto curve = read_csv_if_exists(dir, "edge_scaling_" + m);
    curve->require({"heads", "s", "accuracy"});
    for (const auto& r : curve->rows) {
      const std::string h = cell(*curve, r, "heads");
      if (h.find(',') != std::string::npos) continue;  // pairs: in the CSV, not drawn
      if (std::find(heads.begin(), heads.end(), h) == heads.end()) heads.push_back(h);
      values.push_back({{"kind", "curve"}, {"head", h}, {"mode", m + " mode"}, {"s", number(*curve, r, "s")},
                        {"accuracy", jnum(number(*curve, r, "accuracy"))}});
    }
    if (const auto rec = read_csv_if_exists(dir, "edge_scaling_" + m + "_recovery")) {
      rec->require({"heads", "recovery_s"});
      for (const auto& r : rec->rows) {
        const std::string h = cell(*rec, r, "heads");
        const double s = number(*rec, r, "recovery_s");
        if (h.find(',') != std::string::npos || !std::isfinite(s)) continue;
        values.push_back({{"kind", "recovery"}, {"head", h}, {"mode", m + " mode"}, {"recovery_s", s}});
      }
    }
  }
  const double full = summary.value("accuracy", std::nan(""));
  if (std::isfinite(full))
    for (const auto& h : heads) values.push_back({{"kind", "full"}, {"head", h}, {"accuracy", full}});
  const std::string target = summary.contains("edge_scaling") ? summary["edge_scaling"].value("target", "the target keys")
                                                              : "the target keys";
  b.text("<p>The edges from the query to " + html_escape(target) +
         " are scaled by s before (score mode) or after (weight mode, renormalised) the softmax. Solid: accuracy "
         "against s; dashed vertical line: the recovery threshold, the smallest s from which accuracy is back at the "
         "full model's" + std::string(std::isfinite(full) ? " (grey line, " + pct(full) + ")" : "") + ".</p>");
  json layer = json::array();
  layer.push_back({{"transform", json::array({{{"filter", {{"field", "kind"}, {"equal", "curve"}}}}})},
                   {"mark", {{"type", "line"}, {"point", true}}},
                   {"encoding",
                    {{"x", {{"field", "s"}, {"type", "quantitative"}, {"title", "edge scale s"}, {"scale", {{"domain", {0, 1}}}}}},
                     {"y", {{"field", "accuracy"}, {"type", "quantitative"}, {"axis", {{"format", "%"}}}}},
                     {"color", {{"field", "mode"}, {"type", "nominal"}, {"title", nullptr}}},
                     {"tooltip", tooltip({{{"field", "head"}}, {{"field", "mode"}}, {{"field", "s"}},
                                          {{"field", "accuracy"}, {"format", ".4%"}}})}}}});
  layer.push_back({{"transform", json::array({{{"filter", {{"field", "kind"}, {"equal", "recovery"}}}}})},
                   {"mark", {{"type", "rule"}, {"strokeDash", {5, 3}}, {"strokeWidth", 2}}},
                   {"encoding",
                    {{"x", {{"field", "recovery_s"}, {"type", "quantitative"}}},
                     {"color", {{"field", "mode"}, {"type", "nominal"}, {"title", nullptr}}},
                     {"tooltip", tooltip({{{"field", "head"}}, {{"field", "mode"}}, {{"field", "recovery_s"}, {"title", "recovery threshold s"}}})}}}});
  if (std::isfinite(full))
    layer.push_back({{"transform", json::array({{{"filter", {{"field", "kind"}, {"equal", "full"}}}}})},
                     {"mark", {{"type", "rule"}, {"color", "#999"}}},
                     {"encoding", {{"y", {{"field", "accuracy"}, {"type", "quantitative"}}}}}});
  b.figure("fig-edge-scaling",
           {{"data", {{"values", values}}},
            {"facet", {{"field", "head"}, {"type", "nominal"}, {"sort", heads}, {"title", nullptr},
                       {"header", {{"labelExpr", "'head ' + datum.value"}}}}},
            {"columns", 4},
            {"spec", {{"width", 170}, {"height", 120}, {"layer", layer}}}},
           "Accuracy against the edge scale s, one panel per head; dashed: recovery threshold.");
  b.text(source_note(*read_csv_if_exists(dir, "edge_scaling_" + modes[0])));
  b.done();
}

// ---- direct logit attribution ----

json stacked_bars(const json& values, const std::vector<std::string>& parts, const json& totals, const std::string& x,
                  const json& x_sort, const std::string& x_title) {
  json bars = {{"data", {{"values", values}}},
               {"mark", "bar"},
               {"encoding",
                {{"x", {{"field", x}, {"type", "nominal"}, {"sort", x_sort}, {"title", x_title}, {"axis", {{"labelAngle", 0}}}}},
                 {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", "mean logit contribution"}, {"stack", "zero"}}},
                 {"color", {{"field", "part"}, {"type", "nominal"}, {"sort", parts}, {"title", "component"}}},
                 {"order", {{"field", "order"}, {"type", "quantitative"}}},
                 {"tooltip", tooltip({{{"field", x}}, {{"field", "part"}, {"title", "component"}},
                                      {{"field", "value"}, {"format", ".4f"}}, {{"field", "share"}, {"title", "share %"}, {"format", ".1f"}}})}}}};
  json ticks = {{"data", {{"values", totals}}},
                {"mark", {{"type", "tick"}, {"color", "black"}, {"thickness", 3}, {"size", 40}}},
                {"encoding",
                 {{"x", {{"field", x}, {"type", "nominal"}, {"sort", x_sort}}},
                  {"y", {{"field", "total"}, {"type", "quantitative"}}},
                  {"tooltip", tooltip({{{"field", x}}, {{"field", "total"}, {"title", "sum of the components"}, {"format", ".4f"}}})}}}};
  return {{"width", {{"step", 70}}}, {"height", 260}, {"layer", json::array({bars, ticks})}};
}

void dla_section(ReportContent& c, const std::string& dir) {
  const auto t = read_csv_if_exists(dir, "dla");
  if (!t) return;
  t->require({"part", "mean_logit_part", "mean_margin_part"});
  Builder b(c, "sec-dla", "Direct logit attribution");
  const std::vector<std::string> parts = distinct(*t, "part");
  json values = json::array(), totals = json::array();
  const std::vector<std::pair<std::string, std::string>> qs = {{"mean_logit_part", "correct logit"},
                                                               {"mean_margin_part", "margin over the runner-up"}};
  for (const auto& [col, name] : qs) {
    double sum = 0;
    for (size_t i = 0; i < t->rows.size(); ++i) {
      const auto& r = t->rows[i];
      const double v = number(*t, r, col);
      const std::string share_col = col == "mean_logit_part" ? "logit_share_pct" : "margin_share_pct";
      values.push_back({{"quantity", name}, {"part", cell(*t, r, "part")}, {"order", i}, {"value", jnum(v)},
                        {"share", t->find(share_col) >= 0 ? jnum(number(*t, r, share_col)) : json(nullptr)}});
      if (std::isfinite(v)) sum += v;
    }
    totals.push_back({{"quantity", name}, {"total", sum}});
  }
  b.text("<p>The correct answer's logit at the query position (and its margin over the best other token), split "
         "into the embedding, the positional embedding, each head's direct contribution and the biases, averaged over "
         "the evaluation set. The stacked parts add up to the total, the black tick (negative parts stack below "
         "zero).</p>");
  b.figure("fig-dla", stacked_bars(values, parts, totals, "quantity", json::array({"correct logit", "margin over the runner-up"}), ""),
           "Mean contribution of each component; the tick is their sum.");
  if (const auto ba = read_csv_if_exists(dir, "dla_by_answer")) {
    ba->require({"answer", "part", "mean_logit_part"});
    json v2 = json::array(), t2 = json::array();
    std::map<std::string, double> sums;
    const std::vector<std::string> answers = distinct(*ba, "answer");
    for (size_t i = 0; i < ba->rows.size(); ++i) {
      const auto& r = ba->rows[i];
      const double v = number(*ba, r, "mean_logit_part");
      const auto pit = std::find(parts.begin(), parts.end(), cell(*ba, r, "part"));
      v2.push_back({{"answer", cell(*ba, r, "answer")}, {"part", cell(*ba, r, "part")},
                    {"order", pit - parts.begin()}, {"value", jnum(v)}, {"share", nullptr}});
      if (std::isfinite(v)) sums[cell(*ba, r, "answer")] += v;
    }
    for (const auto& a : answers) t2.push_back({{"answer", a}, {"total", sums[a]}});
    json spec = stacked_bars(v2, parts, t2, "answer", answers, "answer");
    spec["width"] = {{"step", 36}};
    b.figure("fig-dla-by-answer", spec, "The correct logit's parts for each answer.");
  }
  b.text(source_note(*t));
  b.done();
}

// ---- invariance ----

void invariance_section(ReportContent& c, const std::string& dir, const json& summary) {
  const auto t = read_csv_if_exists(dir, "invariance");
  if (!t) return;
  t->require({"point", "head", "mean_cosine", "min_cosine"});
  Builder b(c, "sec-invariance", "Invariance across inputs");
  const std::vector<std::string> points = distinct(*t, "point");
  std::vector<std::string> cols = {"all"};
  json values = json::array();
  double lo = 1.0;
  for (const auto& r : t->rows) {
    const std::string h = cell(*t, r, "head").empty() ? "all" : cell(*t, r, "head");
    if (std::find(cols.begin(), cols.end(), h) == cols.end()) cols.push_back(h);
    const double mean = number(*t, r, "mean_cosine");
    if (std::isfinite(mean)) lo = std::min(lo, mean);
    values.push_back({{"point", cell(*t, r, "point")}, {"head", h}, {"mean_cosine", jnum(mean)},
                      {"min_cosine", jnum(number(*t, r, "min_cosine"))},
                      {"pairs", t->find("n_pairs") >= 0 ? jnum(number(*t, r, "n_pairs")) : json(nullptr)}});
  }
  const json inv = summary.value("invariance", json::object());
  std::string finding;
  if (inv.contains("text") && inv["text"].is_string()) finding = " Finding: " + inv["text"].get<std::string>() + ".";
  b.text("<p>Families of inputs that share one answer (for Max-of-List, the maximum moved through every position) "
         "go through the model; at each hook point, in forward order from top to bottom, the cell is the mean "
         "cosine similarity between members of a family at the query position, per head where the point is per "
         "head (\"all\" where it is not). 1 means the model no longer tells the members apart." +
         html_escape(finding) + "</p>");
  json rect = {{"mark", "rect"},
               {"encoding",
                {{"x", {{"field", "head"}, {"type", "nominal"}, {"sort", cols}, {"title", "head"}, {"axis", {{"orient", "top"}, {"labelAngle", 0}}}}},
                 {"y", {{"field", "point"}, {"type", "nominal"}, {"sort", points}, {"title", "hook point (forward order)"}}},
                 {"color", {{"field", "mean_cosine"}, {"type", "quantitative"}, {"title", "mean cosine"},
                            {"scale", {{"domain", {std::min(lo, 0.9), 1.0}}, {"scheme", "viridis"}}}}},
                 {"tooltip", tooltip({{{"field", "point"}}, {{"field", "head"}}, {{"field", "mean_cosine"}, {"format", ".4f"}},
                                      {{"field", "min_cosine"}, {"format", ".4f"}}, {{"field", "pairs"}}})}}}};
  b.figure("fig-invariance", {{"data", {{"values", values}}}, {"width", {{"step", 40}}}, {"height", {{"step", 16}}},
                              {"layer", json::array({rect})}},
           "Similarity between family members at each hook point along the forward pass.");
  b.text(source_note(*t));
  b.done();
}

// ---- QK and OV circuits ----

std::string head_label_of(const CsvTable& t, const std::vector<std::string>& r, bool multi_layer) {
  const std::string h = cell(t, r, "head");
  if (!multi_layer) return h;
  return "L" + cell(t, r, "layer") + "H" + h;
}

json circuit_spec(const CsvTable& t, const std::string& row_col, const std::string& col_col, const std::string& row_title,
                  const std::string& col_title, const std::string& value_title) {
  const bool multi = t.find("layer") >= 0 && distinct(t, "layer").size() > 1;
  std::vector<std::string> heads;
  json values = json::array();
  double m = 0;
  for (const auto& r : t.rows) {
    const std::string h = head_label_of(t, r, multi);
    if (std::find(heads.begin(), heads.end(), h) == heads.end()) heads.push_back(h);
    const double v = number(t, r, "value");
    if (std::isfinite(v)) m = std::max(m, std::abs(v));
    values.push_back({{"head", h}, {"row", cell(t, r, row_col)}, {"col", cell(t, r, col_col)}, {"value", jnum(v)}});
  }
  const std::vector<std::string> rows = distinct(t, row_col), cols = distinct(t, col_col);
  const int step = rows.size() > 12 ? 11 : 16;
  json rect = {{"mark", "rect"},
               {"encoding",
                {{"x", {{"field", "col"}, {"type", "ordinal"}, {"sort", cols}, {"title", col_title}}},
                 {"y", {{"field", "row"}, {"type", "ordinal"}, {"sort", rows}, {"title", row_title}}},
                 {"color", {{"field", "value"}, {"type", "quantitative"}, {"title", value_title},
                            {"scale", {{"scheme", "redblue"}, {"reverse", true}, {"domain", {-m, m}}}}}},
                 {"tooltip", tooltip({{{"field", "head"}}, {{"field", "row"}, {"title", row_title}},
                                      {{"field", "col"}, {"title", col_title}}, {{"field", "value"}, {"format", ".4f"}}})}}}};
  return {{"data", {{"values", values}}},
          {"facet", {{"field", "head"}, {"type", "nominal"}, {"sort", heads}, {"title", nullptr},
                     {"header", {{"labelExpr", "'head ' + datum.value"}}}}},
          {"columns", 4},
          {"spec", {{"width", {{"step", step}}}, {"height", {{"step", step}}}, {"layer", json::array({rect})}}}};
}

void circuits_section(ReportContent& c, const std::string& dir) {
  const auto qk = read_csv_if_exists(dir, "qk_token");
  const auto ov = read_csv_if_exists(dir, "ov_token");
  if (!qk && !ov) return;
  Builder b(c, "sec-circuits", "QK and OV circuits");
  b.text("<p>QK: the attention score a query token gives a key token, <code>(W_E W_Q)(W_E W_K)ᵀ / √E</code> "
         "(positional terms left out). OV: the logits a head writes when it attends only to a source token, "
         "<code>W_E W_V W_O W_U</code>. Red is positive, blue negative.</p>");
  if (qk) {
    qk->require({"head", "query_token", "key_token", "value"});
    b.figure("fig-qk", circuit_spec(*qk, "query_token", "key_token", "query token", "key token", "score"),
             "QK circuit per head: query token (rows) by key token (columns).");
  }
  if (ov) {
    ov->require({"head", "source_token", "logit_token", "value"});
    b.figure("fig-ov", circuit_spec(*ov, "source_token", "logit_token", "source token", "logit of token", "logit"),
             "OV circuit per head: attended token (rows) by the logit it raises (columns).");
  }
  b.done();
}

// ---- Count01 paper figures ----

void paper_heads_section(ReportContent& c, const std::string& dir) {
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

void paper_w01_section(ReportContent& c, const std::string& dir) {
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

void paper_correlation_section(ReportContent& c, const std::string& dir, const json& summary) {
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
  if (corr.is_object() && corr.contains("r") && corr["r"].is_number()) {
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

void paper_isolated_section(ReportContent& c, const std::string& dir) {
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

void paper_logit_section(ReportContent& c, const std::string& dir) {
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

json read_summary(const std::string& dir) {
  const fs::path p = fs::path(dir) / "summary.json";
  if (!fs::exists(p)) return json::object();
  try {
    return json::parse(read_file(p.string()));
  } catch (const json::exception& e) {
    throw Error("report: " + p.string() + " is not valid JSON (" + e.what() +
                "); regenerate it, or delete it to leave the summary out");
  }
}

std::vector<std::string> default_head_labels(const ReportInputs& in) {
  if (!in.head_labels.empty()) return in.head_labels;
  const json cfg = in.model.is_object() ? in.model.value("config", json::object()) : json::object();
  const int L = cfg.value("L", 1), H = cfg.value("H", in.attention.empty() ? 0 : int(in.attention[0].pattern.size()));
  std::vector<std::string> out;
  for (int f = 0; f < L * H; ++f) {
    // Appended piecewise: g++ 12 warns falsely (-Wrestrict) on "L" + std::to_string(...).
    std::string label = L == 1 ? "" : std::string("L").append(std::to_string(f / H)).append("H");
    out.push_back(label.append(std::to_string(L == 1 ? f : f % H)));
  }
  return out;
}

}  // namespace

ReportContent build_sections(const std::string& out_dir, const ReportInputs& in) {
  if (!fs::is_directory(out_dir))
    throw Error("report: the output directory '" + out_dir + "' does not exist (run the analysis first, or pass its --out)");
  const json summary = read_summary(out_dir);
  ReportContent c;
  model_section(c, in);
  attention_section(c, in, default_head_labels(in));
  ablation_section(c, out_dir, summary);
  edge_section(c, out_dir, summary);
  dla_section(c, out_dir);
  invariance_section(c, out_dir, summary);
  circuits_section(c, out_dir);
  paper_heads_section(c, out_dir);
  paper_w01_section(c, out_dir);
  paper_correlation_section(c, out_dir, summary);
  paper_isolated_section(c, out_dir);
  paper_logit_section(c, out_dir);
  return c;
}

}  // namespace hc
