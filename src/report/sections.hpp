#pragma once
// The report's sections, built from an output directory's tables and the
// caller's inputs (report.hpp). Each section is HTML with figure containers;
// each figure a Vega-Lite spec keyed by its container's id.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report.hpp"

namespace hc {

struct ReportSection {
  std::string id;     // e.g. "sec-ablation"
  std::string title;
  std::string html;   // the body: text, tables, <div class="vis" id="fig-..."> containers
};

struct ReportContent {
  std::vector<ReportSection> sections;       // in page order
  nlohmann::json figures = nlohmann::json::object();  // figure id -> Vega-Lite spec
  nlohmann::json attention;                  // the attention widget's data (null: none)
  std::vector<std::string> figure_ids;       // every figure, the attention one included, in page order
};

// Every section the inputs have data for, in page order (report_section_ids),
// then a generic section per analysis result without a section of its own.
ReportContent build_sections(const ReportInputs& in);

std::string html_escape(const std::string& s);

}  // namespace hc
