// The model sections of the report (model card, attention, ablation, edge
// scaling, DLA, invariance, circuits) from the tables in an output directory;
// the Count01 paper figures are in paper_sections.cpp. The tables are the
// contract: their names and columns are listed in docs/REPORT.md, and a section
// appears exactly when its tables exist.
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
#include "report/section_kit.hpp"

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

using namespace report_kit;

namespace {

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
    for (const char* k : {"n_layers", "d_model", "n_heads", "d_head", "d_vocab", "n_ctx", "pos_embed", "biases"})
      if (m["config"].contains(k)) add(k, m["config"][k]);
  add("parameters", m.value("parameters", json()));
  if (m.contains("accuracy") && m["accuracy"].is_number()) rows.push_back({"accuracy", pct(m["accuracy"].get<double>())});
  add("evaluation set", m.value("eval_set", json()));
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
    // The x axis runs from 0 to the last step, so that a log with one
    // evaluation still gets a real axis (Vega's automatic domain of a single
    // value is that value alone, labelled "250.000000").
    double last_step = 0;
    for (const auto& r : log.rows) last_step = std::max(last_step, number(log, r, "step"));
    const json x = {{"field", "step"},
                    {"type", "quantitative"},
                    {"title", "step"},
                    {"scale", {{"domain", {0, std::max(1.0, last_step)}}, {"nice", true}}},
                    {"axis", {{"format", "~s"}}}};
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

void ablation_section(ReportContent& c, const Tables& dir, const json& summary) {
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
      bars.push_back({{"head", cell(*t, r, key)}, {"condition", cond}, {"accuracy", jnum(number(*t, r, "accuracy"))}});
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
  // A fixed width, at most 1000 px (the page is 1300 px wide, the legend
  // needs ~150): 16 heads x 4 conditions at 18 px a bar overflowed a 1400 px
  // window.
  const int bar_width = int(std::clamp<size_t>(heads.size() * std::max<size_t>(1, conds.size()) * 18, 200, 1000));
  b.figure("fig-ablation-single", {{"width", bar_width}, {"height", 220}, {"layer", layers}},
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
    // The colour scale spans the data (not 0-100%), so that differences
    // among pairs that all keep >= 99% still show.
    rect["encoding"]["color"] = {{"field", "accuracy"}, {"type", "quantitative"},
                                 {"scale", {{"scheme", "viridis"}, {"zero", false}, {"nice", false}}},
                                 {"legend", {{"format", ".2%"}}}};
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

void edge_section(ReportContent& c, const Tables& dir, const json& summary) {
  std::vector<std::string> modes;
  for (const char* m : {"score", "weight"})
    if (dir.has("edge_scaling_" + std::string(m))) modes.push_back(m);
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

void dla_section(ReportContent& c, const Tables& dir) {
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
  json main = stacked_bars(values, parts, totals, "quantity", json::array({"correct logit", "margin over the runner-up"}), "");
  main["width"] = {{"step", 170}};  // room for "margin over the runner-up" (at 70 px it ran into its neighbour)
  b.figure("fig-dla", main, "Mean contribution of each component; the tick is their sum.");
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

void invariance_section(ReportContent& c, const Tables& dir, const json& summary) {
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

// per_head_scale: each head's panel gets its own colour scale (centred on 0),
// so that one strong head does not wash out the others. PAD rows and columns
// are left out: no input puts PAD before the query.
json circuit_spec(const CsvTable& t, const std::string& row_col, const std::string& col_col, const std::string& row_title,
                  const std::string& col_title, const std::string& value_title, bool per_head_scale) {
  const bool multi = t.find("layer") >= 0 && distinct(t, "layer").size() > 1;
  std::vector<std::string> heads;
  json values = json::array();
  double m = 0;
  for (const auto& r : t.rows) {
    if (cell(t, r, row_col) == "PAD" || cell(t, r, col_col) == "PAD") continue;
    const std::string h = head_label_of(t, r, multi);
    if (std::find(heads.begin(), heads.end(), h) == heads.end()) heads.push_back(h);
    const double v = number(t, r, "value");
    if (std::isfinite(v)) m = std::max(m, std::abs(v));
    values.push_back({{"head", h}, {"row", cell(t, r, row_col)}, {"col", cell(t, r, col_col)}, {"value", jnum(v)}});
  }
  std::vector<std::string> rows = distinct(t, row_col), cols = distinct(t, col_col);
  std::erase(rows, "PAD");
  std::erase(cols, "PAD");
  const int step = rows.size() > 12 ? 11 : 16;
  json rect = {{"mark", "rect"},
               {"encoding",
                {{"x", {{"field", "col"}, {"type", "ordinal"}, {"sort", cols}, {"title", col_title}}},
                 {"y", {{"field", "row"}, {"type", "ordinal"}, {"sort", rows}, {"title", row_title}}},
                 {"color", {{"field", "value"}, {"type", "quantitative"}, {"title", value_title},
                            {"scale", per_head_scale ? json{{"scheme", "redblue"}, {"reverse", true}, {"domainMid", 0}}
                                                     : json{{"scheme", "redblue"}, {"reverse", true}, {"domain", {-m, m}}}}}},
                 {"tooltip", tooltip({{{"field", "head"}}, {{"field", "row"}, {"title", row_title}},
                                      {{"field", "col"}, {"title", col_title}}, {{"field", "value"}, {"format", ".4f"}}})}}}};
  json spec = {{"data", {{"values", values}}},
               {"facet", {{"field", "head"}, {"type", "nominal"}, {"sort", heads}, {"title", nullptr},
                          {"header", {{"labelExpr", "'head ' + datum.value"}}}}},
               {"columns", per_head_scale ? 3 : 4},
               {"spec", {{"width", {{"step", step}}}, {"height", {{"step", step}}}, {"layer", json::array({rect})}}}};
  if (per_head_scale) spec["resolve"] = {{"scale", {{"color", "independent"}}}};
  return spec;
}

void circuits_section(ReportContent& c, const Tables& dir) {
  const auto qk = read_csv_if_exists(dir, "qk_token");
  const auto ov = read_csv_if_exists(dir, "ov_token");
  if (!qk && !ov) return;
  Builder b(c, "sec-circuits", "QK and OV circuits");
  b.text("<p>QK: the attention score a query token gives a key token, <code>(W_E W_Q)(W_E W_K)ᵀ / √E</code> "
         "(positional terms left out). OV: the logits a head writes when it attends only to a source token, "
         "<code>W_E W_V W_O W_U</code>. Red is positive, blue negative.</p>");
  if (qk) {
    qk->require({"head", "query_token", "key_token", "value"});
    b.figure("fig-qk", circuit_spec(*qk, "query_token", "key_token", "query token", "key token", "score", false),
             "QK circuit per head: query token (rows) by key token (columns).");
  }
  if (ov) {
    ov->require({"head", "source_token", "logit_token", "value"});
    b.figure("fig-ov", circuit_spec(*ov, "source_token", "logit_token", "source token", "logit of token", "logit", true),
             "OV circuit per head: attended token (rows) by the logit it raises (columns); each head has its own "
             "colour scale, centred on 0.");
  }
  b.done();
}

// ---- analyses without a section of their own (a plug-in, say) ----

// The analyses whose results the sections above and the paper sections draw,
// or that the text summary alone shows (attention, value_norms).
bool has_own_section(const std::string& analysis) {
  static const std::set<std::string> own = {"ablation",     "edge_scaling", "attention",        "value_norms",
                                            "invariance",   "dla",          "circuits",         "head_metrics",
                                            "w01_intervention", "logit_dynamics", "composition", "act_patching",
                                            "path_patching", "subset_ablation", "logit_lens"};
  return own.count(analysis) > 0;
}

void generic_section(ReportContent& c, const std::string& name, const AnalysisResult& r) {
  Builder b(c, "sec-analysis-" + name, "Analysis: " + name);
  for (const Table& t : r.tables()) {
    b.text("<h3>" + html_escape(t.name) + "</h3><p>" + html_escape(t.description) + " (" + html_escape(t.dataset) +
           ")</p>");
    const CsvTable cells = parse_csv(t.to_csv(), t.name + ".csv");
    std::vector<std::vector<std::string>> rows(cells.rows.begin(),
                                               cells.rows.begin() + std::min<size_t>(cells.rows.size(), 200));
    b.text(table_html(cells.columns, rows));
    if (cells.rows.size() > rows.size())
      b.text("<p>First " + std::to_string(rows.size()) + " of " + std::to_string(cells.rows.size()) +
             " rows; the whole table is in <code>" + html_escape(t.name) + ".csv</code>.</p>");
  }
  b.done();
}

std::vector<std::string> default_head_labels(const ReportInputs& in) {
  if (!in.head_labels.empty()) return in.head_labels;
  const json cfg = in.model.is_object() ? in.model.value("config", json::object()) : json::object();
  const int L = cfg.value("n_layers", 1),
            H = cfg.value("n_heads", in.attention.empty() ? 0 : int(in.attention[0].pattern.size()));
  std::vector<std::string> out;
  for (int f = 0; f < L * H; ++f) {
    // Appended piecewise: g++ 12 warns falsely (-Wrestrict) on "L" + std::to_string(...).
    std::string label = L == 1 ? "" : std::string("L").append(std::to_string(f / H)).append("H");
    out.push_back(label.append(std::to_string(L == 1 ? f : f % H)));
  }
  return out;
}

}  // namespace

ReportContent build_sections(const ReportInputs& in) {
  const Tables dir{in.tables};
  const json& summary = in.summary;
  ReportContent c;
  model_section(c, in);
  attention_section(c, in, default_head_labels(in));
  ablation_section(c, dir, summary);
  edge_section(c, dir, summary);
  dla_section(c, dir);
  invariance_section(c, dir, summary);
  circuits_section(c, dir);
  add_circuit_sections(c, dir);
  add_paper_sections(c, dir, summary);
  for (const auto& [name, result] : in.results)
    if (!has_own_section(name)) generic_section(c, name, *result);
  return c;
}

}  // namespace hc
