#pragma once
// What every report section is built with (sections.cpp, paper_sections.cpp):
// cells of the output tables, number formatting, HTML tables, and the Builder
// that appends a section and its figures to the page.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "report/csv.hpp"
#include "report/sections.hpp"

namespace hc::report_kit {

using nlohmann::json;

// The in-memory tables a page is drawn from, looked up by name. A table is
// read through its CSV text, so a section sees exactly the cells that the
// analysis's CSV file holds.
struct Tables {
  const std::vector<Table>& list;
  const Table* get(const std::string& name) const {
    for (const Table& t : list)
      if (t.name == name) return &t;
    return nullptr;
  }
  bool has(const std::string& name) const { return get(name) != nullptr; }
};

// The table `name` as CSV cells, or nothing when no analysis produced it.
inline std::optional<CsvTable> read_csv_if_exists(const Tables& tables, const std::string& name) {
  const Table* t = tables.get(name);
  if (!t) return std::nullopt;
  return parse_csv(t->to_csv(), name + ".csv");
}

inline std::string pct(double x, int digits = 2) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f%%", digits, 100.0 * x);
  return b;
}

inline std::string num(double x, const char* fmt = "%.3g") {
  char b[32];
  std::snprintf(b, sizeof b, fmt, x);
  return b;
}

inline bool truthy(const std::string& cell) {
  return cell == "true" || cell == "True" || cell == "1" || cell == "yes";
}

inline double number(const CsvTable& t, const std::vector<std::string>& row, const std::string& col) {
  const json v = csv_value(row[size_t(t.find(col))]);
  return v.is_number() ? v.get<double>() : std::nan("");
}

inline const std::string& cell(const CsvTable& t, const std::vector<std::string>& row, const std::string& col) {
  return row[size_t(t.find(col))];
}

// Values of a column in order of first appearance.
inline std::vector<std::string> distinct(const CsvTable& t, const std::string& col) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& r : t.rows)
    if (seen.insert(cell(t, r, col)).second) out.push_back(cell(t, r, col));
  return out;
}

inline json jnum(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

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

inline std::string table_html(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
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

inline std::string source_note(const CsvTable& t) {
  return "<p class=\"source\">Data: <code>" + html_escape(std::filesystem::path(t.source).filename().string()) + "</code></p>";
}

inline json tooltip(std::initializer_list<json> fields) {
  json out = json::array();
  for (const auto& f : fields) out.push_back(f);
  return out;
}

// The Count01 paper figures (paper_sections.cpp): s-acc against w01 and w02,
// the w01 intervention, the correlation, isolated against joint heads, logit
// dynamics; each present when its table is in `dir`.
void add_paper_sections(ReportContent& c, const Tables& tables, const json& summary);

// `headcount reproduce` only (repro_sections.cpp): the correlation over
// independent final models and the conditions map, each with its
// model-bootstrap intervals; present when correlation_final / conditions are.
void add_reproduce_sections(ReportContent& c, const Tables& tables, const json& summary);

// The multi-layer circuit sections (circuit_sections.cpp): composition,
// activation patching, path patching, subset ablation, logit lens.
void add_circuit_sections(ReportContent& c, const Tables& tables);

}  // namespace hc::report_kit
