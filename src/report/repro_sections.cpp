// `headcount reproduce`'s own report figures: the correlation over
// independent final models (correlation_final.csv) and the conditions map
// (conditions.csv), with the model-bootstrap intervals of summary.json.
#include "report/section_kit.hpp"

namespace hc::report_kit {

namespace {

std::string interval_text(const json& iv) {
  if (!iv.is_object() || !iv["estimate"].is_number()) return "r undefined";
  std::string s = "r = " + num(iv["estimate"].get<double>(), "%.2f");
  if (iv["ci_low"].is_number() && iv["ci_high"].is_number())
    s += ", 95% CI [" + num(iv["ci_low"].get<double>(), "%.2f") + ", " + num(iv["ci_high"].get<double>(), "%.2f") + "]";
  return s + ", bootstrap over models, n = " + iv["n"].dump();
}

void final_correlation_section(ReportContent& c, const Tables& dir, const json& summary) {
  const auto t = read_csv_if_exists(dir, "correlation_final");
  if (!t) return;
  t->require({"model", "group", "steps", "weighted_s_acc", "accuracy", "accuracy_45"});
  Builder b(c, "sec-repro-final-correlation", "Correlation over independent final models");
  json values = json::array();
  for (const auto& r : t->rows)
    for (const char* def : {"accuracy", "accuracy_45"})
      values.push_back({{"model", cell(*t, r, "model")},
                        {"group", cell(*t, r, "group")},
                        {"steps", jnum(number(*t, r, "steps"))},
                        {"weighted_s_acc", jnum(number(*t, r, "weighted_s_acc"))},
                        {"accuracy", jnum(number(*t, r, def))},
                        {"definition", std::string(def) == "accuracy" ? "argmax over the vocabulary" : "argmax over {4, 5}"}});
  const json corr = summary.value("correlation", json::object());
  const std::string a = interval_text(corr.value("final_models", json())),
                    b45 = interval_text(corr.value("final_models_acc45", json()));
  b.text("<p>One point per independently trained model (main, grid and quality models: sizes, training lengths and "
         "seeds vary, so accuracy spans a range), each at its final step. Left: accuracy as the argmax over the "
         "whole vocabulary (" + html_escape(a) + "); right: over {4, 5} only (" + html_escape(b45) +
         "). The paper reports r = 0.72.</p>");
  json pts = {{"mark", {{"type", "point"}, {"filled", true}, {"size", 50}}},
              {"encoding",
               {{"x", {{"field", "weighted_s_acc"}, {"type", "quantitative"}, {"title", "weighted head s-acc"},
                       {"scale", {{"zero", false}}}}},
                {"y", {{"field", "accuracy"}, {"type", "quantitative"}, {"title", "model accuracy"}}},
                {"color", {{"field", "group"}, {"type", "nominal"}, {"title", "models"}}},
                {"tooltip", tooltip({{{"field", "model"}}, {{"field", "steps"}},
                                     {{"field", "weighted_s_acc"}, {"format", ".4f"}},
                                     {{"field", "accuracy"}, {"format", ".4f"}}})}}}};
  b.figure("fig-repro-final-correlation",
           {{"data", {{"values", values}}},
            {"facet", {{"column", {{"field", "definition"}, {"type", "nominal"}, {"title", nullptr}}}}},
            {"spec", {{"width", 300}, {"height", 240}, {"layer", json::array({pts})}}}},
           "Weighted head s-acc against final accuracy, one point per independent model, both accuracy definitions.");
  b.text(source_note(*t));
  b.done();
}

void conditions_section(ReportContent& c, const Tables& dir) {
  const auto t = read_csv_if_exists(dir, "conditions");
  if (!t) return;
  t->require({"cell", "recipe", "n_models", "failed_fraction", "failed_fraction_lo", "failed_fraction_hi",
              "share_w02_gt_10", "share_w02_gt_10_lo", "share_w02_gt_10_hi", "median_w02_successful",
              "accuracy", "about_half", "w02_gt_10"});
  Builder b(c, "sec-repro-conditions", "Conditions map: where each claim holds");
  json values = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : t->rows) {
    const std::string cellname = cell(*t, r, "cell");
    values.push_back({{"cell", cellname}, {"measure", "failed fraction (about half: 0.4-0.6)"},
                      {"estimate", jnum(number(*t, r, "failed_fraction"))},
                      {"lo", jnum(number(*t, r, "failed_fraction_lo"))}, {"hi", jnum(number(*t, r, "failed_fraction_hi"))},
                      {"verdict", cell(*t, r, "about_half")}});
    values.push_back({{"cell", cellname}, {"measure", "share of successful heads with w02 > 10 (claim: >= 0.8)"},
                      {"estimate", jnum(number(*t, r, "share_w02_gt_10"))},
                      {"lo", jnum(number(*t, r, "share_w02_gt_10_lo"))}, {"hi", jnum(number(*t, r, "share_w02_gt_10_hi"))},
                      {"verdict", cell(*t, r, "w02_gt_10")}});
    rows.push_back({cellname, cell(*t, r, "recipe"), cell(*t, r, "n_models"),
                    num(number(*t, r, "failed_fraction"), "%.2f"), cell(*t, r, "about_half"),
                    num(number(*t, r, "median_w02_successful"), "%.1f"), num(number(*t, r, "share_w02_gt_10"), "%.2f"),
                    cell(*t, r, "w02_gt_10"), num(number(*t, r, "accuracy"), "%.3f")});
  }
  b.text("<p>The main configuration (D32 H16 E2) under one recipe change per cell; each point is the cell's "
         "estimate, each bar its 95% bootstrap interval over the cell's models. Colour: the claim's verdict in that "
         "cell (the claims table's rules).</p>");
  json enc = {{"y", {{"field", "cell"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}}},
              {"color", {{"field", "verdict"}, {"type", "nominal"}, {"title", "verdict"},
                         {"scale", {{"domain", {"reproduced", "not shown", "contradicted"}},
                                    {"range", {"#2ca02c", "#7f7f7f", "#d62728"}}}}}}};
  json bar = {{"mark", {{"type", "rule"}, {"strokeWidth", 2}}},
              {"encoding", {{"x", {{"field", "lo"}, {"type", "quantitative"}, {"title", nullptr},
                                   {"scale", {{"domain", {0, 1}}}}}},
                            {"x2", {{"field", "hi"}}}, {"y", enc["y"]}, {"color", enc["color"]}}}};
  json pt = {{"mark", {{"type", "point"}, {"filled", true}, {"size", 60}}},
             {"encoding", {{"x", {{"field", "estimate"}, {"type", "quantitative"}}}, {"y", enc["y"]},
                           {"color", enc["color"]},
                           {"tooltip", tooltip({{{"field", "cell"}}, {{"field", "estimate"}, {"format", ".3f"}},
                                                {{"field", "lo"}, {"format", ".3f"}}, {{"field", "hi"}, {"format", ".3f"}},
                                                {{"field", "verdict"}}})}}}};
  b.figure("fig-repro-conditions",
           {{"data", {{"values", values}}},
            {"facet", {{"column", {{"field", "measure"}, {"type", "nominal"}, {"title", nullptr}}}}},
            {"spec", {{"width", 300}, {"height", 20 * int(t->rows.size())}, {"layer", json::array({bar, pt})}}}},
           "Failed fraction and share of successful heads with w02 > 10 per recipe, with 95% model-bootstrap "
           "intervals.");
  b.text(table_html({"cell", "recipe", "models", "failed", "about half?", "median w02 (successful)",
                     "share w02 > 10", "w02 > 10?", "accuracy"},
                    rows));
  b.text(source_note(*t));
  b.done();
}

}  // namespace

void add_reproduce_sections(ReportContent& c, const Tables& dir, const json& summary) {
  final_correlation_section(c, dir, summary);
  conditions_section(c, dir);
}

}  // namespace hc::report_kit
