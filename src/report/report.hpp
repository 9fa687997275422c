#pragma once
// The HTML report (docs/REPORT.md): one self-contained report.html per output
// directory. It reads what the analyses wrote there (summary.json and the CSV
// tables), adds what only the caller knows (the model card, the training log,
// attention patterns), and inlines Vega-Lite so that it opens offline, from a
// file, with no server. C++ writes data and Vega-Lite specs as JSON; the
// browser draws. Every section appears exactly when its data exists, under a
// stable element id (report_section_ids()).
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/analysis.hpp"
#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

// One example's attention, every layer and head, over its positions
// 0..n-1 (n = tokens.size(): up to and including the answer).
struct AttentionExample {
  std::string text;                 // the example in the text form
  std::vector<std::string> tokens;  // [n] token names
  int query_pos = -1;               // where the answer is predicted
  std::string answer, prediction;  // token names; prediction: argmax at query_pos
  // [L*H][n*(n+1)/2]: per head (layer-major), the causal rows q = 0..n-1 of the
  // pattern, keys k = 0..q, row after row.
  std::vector<std::vector<float>> pattern;
};

// The first `n` examples of `data` (fewer if it holds fewer) through the Full
// forward.
std::vector<AttentionExample> attention_examples(const Model<float>& model, const Task& task, const Dataset& data,
                                                 int n = 8);

struct ReportInputs {
  std::string title;   // the page's heading, e.g. "headcount analyze: runs/mol"
  // Model card: {"source", "task", "config": {L,D,H,E,V,T,pos_embed,biases},
  // "parameters", "accuracy", "eval_set"}; null: no model card.
  nlohmann::json model;
  std::string train_log;                  // a run's train_log.csv; "": no training curve
  std::vector<AttentionExample> attention;
  std::vector<std::string> head_labels;   // per flat head, e.g. "0".."3" or "L0H1"; default from the config
  // Other reports to link from the header: {relative href, text}, e.g.
  // reproduce's top-level page links each model's analysis/report.html.
  std::vector<std::pair<std::string, std::string>> links;
  bool png = false;                       // also export png/<figure>.png through headless Chromium
  // What the page is drawn from, in memory as the analyses returned it: their
  // tables (docs/REPORT.md lists the names and columns each section reads) and
  // the study's summary. The report reads no file that the same process wrote.
  std::vector<Table> tables;
  nlohmann::json summary = nlohmann::json::object();
  // The registered analyses that ran (name, result): one that has no section of
  // its own gets a generic section with its tables.
  std::vector<std::pair<std::string, std::shared_ptr<const AnalysisResult>>> results;
};

// The inputs of one model's report, as `headcount analyze` and the analysis
// directories of `headcount reproduce` write it: the model card (config and
// accuracy from the head study's summary.json, the parameter count), the
// training curve from `train_log` ("" or a missing file: none) and the
// attention patterns of the first 8 examples of `data`.
ReportInputs model_report_inputs(const std::string& title, const std::string& source, const Model<float>& model,
                                 const Task& task, const Dataset& data, const nlohmann::json& study_summary,
                                 const std::string& train_log);

struct ReportResult {
  std::string path;                    // DIR/report.html
  size_t bytes = 0;
  std::vector<std::string> sections;   // ids of the sections written, in page order
  std::vector<std::string> figures;    // ids of the figures
  std::vector<std::string> pngs;       // files written by --png
  std::string png_note;                // what the report says about PNG export ("" when not asked)
};

// Every section id the report knows, in page order: sec-model, sec-attention,
// sec-ablation, sec-edge-scaling, sec-dla, sec-invariance, sec-circuits,
// sec-paper-heads, sec-paper-w01, sec-paper-correlation, sec-paper-isolated,
// sec-paper-logit-dynamics.
const std::vector<std::string>& report_section_ids();

// The page for `in` (its tables, summary and results), written into `out_dir`; `png_note`
// goes into the page when not empty. Throws hc::Error (naming the file and
// the fix) on a malformed table.
std::string render_report(const std::string& out_dir, const ReportInputs& in, const std::string& png_note = "",
                          ReportResult* result = nullptr);

// Writes out_dir/report.html atomically (and with in.png the figures as
// out_dir/png/<figure-id>.png). PNG export needs Chromium (find_chromium());
// without it the report says so and no PNG is written; a Chromium that fails
// is an hc::Error.
ReportResult write_report(const std::string& out_dir, const ReportInputs& in);

// `headcount reproduce`'s top-level report.html: the paper figures from its
// tables (heads, w01_intervention, correlation, isolated_vs_joint,
// logit_dynamics) and summary, linking max_of_list/analysis/report.html and
// count01_main/analysis/report.html where they exist in `out_dir`.
ReportResult write_reproduce_report(const std::string& out_dir, std::vector<Table> tables,
                                    const nlohmann::json& summary);

}  // namespace hc
