// The multi-layer circuit sections (issue 15, docs/CIRCUITS.md): composition
// heatmaps, activation-patching heatmaps by position and head, the
// path-patching matrix, and the subset-ablation / logit-lens tables; each
// present when its table is there.
#include <algorithm>
#include <cmath>

#include "report/section_kit.hpp"

namespace hc::report_kit {

namespace {

// A heatmap of `value` over (x, y), faceted by `facet` when it is not "".
json heatmap(const json& values, const std::string& x, const std::vector<std::string>& xs, const std::string& x_title,
             const std::string& y, const std::vector<std::string>& ys, const std::string& y_title,
             const std::string& value, const std::string& value_title, const json& scale,
             const std::string& facet = "", const std::vector<std::string>& facets = {}) {
  json rect = {{"mark", "rect"},
               {"encoding",
                {{"x", {{"field", x}, {"type", "ordinal"}, {"sort", xs}, {"title", x_title}}},
                 {"y", {{"field", y}, {"type", "ordinal"}, {"sort", ys}, {"title", y_title}}},
                 {"color", {{"field", value}, {"type", "quantitative"}, {"title", value_title}, {"scale", scale}}},
                 {"tooltip", tooltip({{{"field", x}}, {{"field", y}}, {{"field", value}, {"format", ".3f"}}})}}}};
  const json inner = {{"width", {{"step", 22}}}, {"height", {{"step", 18}}}, {"layer", json::array({rect})}};
  if (facet.empty()) {
    json spec = inner;
    spec["data"] = {{"values", values}};
    return spec;
  }
  return {{"data", {{"values", values}}},
          {"facet", {{"field", facet}, {"type", "nominal"}, {"sort", facets}, {"title", nullptr}}},
          {"columns", 3},
          {"spec", inner}};
}

json centred(double m) { return {{"scheme", "redblue"}, {"reverse", true}, {"domain", {-m, m}}}; }

void composition_section(ReportContent& c, const Tables& tables) {
  const auto t = read_csv_if_exists(tables, "composition_scores");
  if (!t) return;
  t->require({"sender", "receiver", "kind", "score", "baseline_mean", "baseline_sd"});
  Builder b(c, "sec-composition", "Composition between layers");
  json values = json::array();
  double base = 0;
  std::string baseline_text;
  for (const auto& r : t->rows) {
    values.push_back({{"sender", cell(*t, r, "sender")}, {"receiver", cell(*t, r, "receiver")},
                      {"kind", cell(*t, r, "kind")}, {"score", jnum(number(*t, r, "score"))}});
    base = std::max(base, number(*t, r, "baseline_mean"));
  }
  for (const std::string k : {"q", "k", "v"})
    for (const auto& r : t->rows)
      if (cell(*t, r, "kind") == k) {
        baseline_text += (baseline_text.empty() ? "" : ", ") + k + " " + num(number(*t, r, "baseline_mean"), "%.3f") +
                         " ± " + num(number(*t, r, "baseline_sd"), "%.3f");
        break;
      }
  b.text("<p>Q-, K- and V-composition (\"A Mathematical Framework for Transformer Circuits\"): how much of what a "
         "sender head writes (its OV matrix) lies in what a receiver head in a later layer reads through its query, "
         "key or value, <code>|OV_s M_r|_F / (|OV_s|_F |M_r|_F)</code>. Random matrices of the same shapes score " +
         html_escape(baseline_text) + " (mean ± sd): only scores well above that say anything.</p>");
  b.figure("fig-composition",
           heatmap(values, "sender", distinct(*t, "sender"), "sender (earlier layer)", "receiver",
                   distinct(*t, "receiver"), "receiver", "score", "score",
                   {{"scheme", "viridis"}, {"domain", {0.0, 1.0}}}, "kind", {"q", "k", "v"}),
           "Composition score per (sender, receiver) pair, one panel per input the receiver reads it through.");
  b.text(source_note(*t));
  b.done();
}

void act_patching_section(ReportContent& c, const Tables& tables) {
  const auto resid = read_csv_if_exists(tables, "act_patching_resid");
  const auto head_pos = read_csv_if_exists(tables, "act_patching_head_pos");
  if (!resid && !head_pos) return;
  Builder b(c, "sec-act-patching", "Activation patching");
  b.text("<p>Corrupted inputs (the task's counterfactual: one symbol changed so that the answer changes) run with one "
         "activation taken from the clean run of the same input; the cell is the logit difference between the clean "
         "and the corrupted answer, normalised so that 0 is the corrupted run and 1 the clean one.</p>");
  if (resid) {
    resid->require({"layer", "position", "normalised"});
    json values = json::array();
    for (const auto& r : resid->rows)
      values.push_back({{"layer", "resid_pre " + cell(*resid, r, "layer")}, {"position", cell(*resid, r, "position")},
                        {"normalised", jnum(number(*resid, r, "normalised"))}});
    std::vector<std::string> layers;
    for (const auto& l : distinct(*resid, "layer")) layers.push_back("resid_pre " + l);
    b.figure("fig-act-patching-resid",
             heatmap(values, "position", distinct(*resid, "position"), "position", "layer", layers, "residual stream",
                     "normalised", "restored", centred(1.0)),
             "The residual stream before each layer patched at one position.");
  }
  if (head_pos) {
    head_pos->require({"head", "position", "normalised"});
    json values = json::array();
    for (const auto& r : head_pos->rows)
      values.push_back({{"head", cell(*head_pos, r, "head")}, {"position", cell(*head_pos, r, "position")},
                        {"normalised", jnum(number(*head_pos, r, "normalised"))}});
    b.figure("fig-act-patching-head",
             heatmap(values, "position", distinct(*head_pos, "position"), "position", "head",
                     distinct(*head_pos, "head"), "head", "normalised", "restored", centred(1.0)),
             "One head's output (z) patched at one position.");
    b.text(source_note(*head_pos));
  }
  b.done();
}

void path_patching_section(ReportContent& c, const Tables& tables) {
  const auto t = read_csv_if_exists(tables, "path_patching");
  if (!t) return;
  t->require({"sender", "receiver", "input", "effect"});
  Builder b(c, "sec-path-patching", "Path patching");
  b.text("<p>The sender head's output from the corrupted run fed into one input (query, key or value) of one "
         "receiver head only; everything else stays clean. The cell is the effect on the logit difference: 0 = "
         "clean, 1 = as corrupted. An edge that matters is a path the answer travels along.</p>");
  json values = json::array();
  double m = 1.0;
  for (const auto& r : t->rows) {
    const double e = number(*t, r, "effect");
    if (std::isfinite(e)) m = std::max(m, std::abs(e));
    values.push_back({{"sender", cell(*t, r, "sender")}, {"receiver", cell(*t, r, "receiver")},
                      {"input", cell(*t, r, "input")}, {"effect", jnum(e)}});
  }
  b.figure("fig-path-patching",
           heatmap(values, "sender", distinct(*t, "sender"), "sender", "receiver", distinct(*t, "receiver"),
                   "receiver", "effect", "effect", centred(m), "input", {"q", "k", "v"}),
           "Path-patching effect per (sender, receiver), one panel per receiver input.");
  b.text(source_note(*t));
  b.done();
}

// Tables that speak for themselves: the single-head rows of the subset
// ablation and the logit lens.
void table_section(ReportContent& c, const Tables& tables, const std::string& name, const std::string& id,
                   const std::string& title, const std::string& intro, size_t max_rows) {
  const auto t = read_csv_if_exists(tables, name);
  if (!t) return;
  Builder b(c, id, title);
  b.text("<p>" + intro + "</p>");
  std::vector<std::vector<std::string>> rows(t->rows.begin(), t->rows.begin() + long(std::min(max_rows, t->rows.size())));
  for (auto& r : rows)
    for (auto& x : r) {
      const json v = csv_value(x);
      if (v.is_number_float()) x = num(v.get<double>(), "%.4f");
    }
  b.text(table_html(t->columns, rows));
  b.text(source_note(*t));
  b.done();
}

}  // namespace

void add_circuit_sections(ReportContent& c, const Tables& tables) {
  composition_section(c, tables);
  act_patching_section(c, tables);
  path_patching_section(c, tables);
  table_section(c, tables, "subset_ablation_zero", "sec-subset-ablation", "Subset ablation over all heads",
                "Accuracy at the query (and per answer) with a set of heads zero-ablated, sets in order of their bit "
                "mask; all 2^(L·H) sets are in <code>subset_ablation_zero.csv</code> (and _mean, _resample).",
                64);
  table_section(c, tables, "logit_lens", "sec-logit-lens", "Logit lens",
                "The residual stream after each stage read through the unembedding at the query.", 16);
}

}  // namespace hc::report_kit
