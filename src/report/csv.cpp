#include "report/csv.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hc {

int CsvTable::find(const std::string& column) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == column) return int(i);
  return -1;
}

void CsvTable::require(const std::vector<std::string>& want) const {
  std::string missing, all;
  for (const auto& c : want) {
    all += (all.empty() ? "" : ", ") + c;
    if (find(c) < 0) missing += (missing.empty() ? "" : ", ") + c;
  }
  if (!missing.empty())
    throw Error("report: " + source + " has no column " + missing + "; its header row must name the columns " + all +
                " (regenerate the table, or delete the file to leave its section out)");
}

nlohmann::json csv_value(const std::string& cell) {
  if (cell.empty() || cell == "nan" || cell == "inf" || cell == "-inf") return nullptr;
  if (cell == "true") return true;
  if (cell == "false") return false;
  const char* begin = cell.c_str();
  char* end = nullptr;
  const double d = std::strtod(begin, &end);
  if (end == begin + cell.size() && std::isfinite(d)) {
    if (d == std::floor(d) && std::abs(d) < 9e15 && cell.find_first_of(".eE") == std::string::npos)
      return static_cast<long long>(d);
    return d;
  }
  return cell;
}

nlohmann::json CsvTable::records(const std::vector<std::string>& want) const {
  std::vector<int> idx;
  std::vector<std::string> names = want.empty() ? columns : want;
  if (!want.empty()) require(want);
  for (const auto& n : names) idx.push_back(find(n));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) {
    nlohmann::json r = nlohmann::json::object();
    for (size_t i = 0; i < idx.size(); ++i) r[names[i]] = csv_value(row[size_t(idx[i])]);
    out.push_back(std::move(r));
  }
  return out;
}

CsvTable parse_csv(const std::string& text, const std::string& source) {
  CsvTable t;
  t.source = source;
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  int line = 1, quote_line = 0;
  auto end_row = [&] {
    row.push_back(cell);
    cell.clear();
    lines.push_back(std::move(row));
    row.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        if (ch == '\n') ++line;
        cell += ch;
      }
      continue;
    }
    if (ch == '"') {
      quoted = true;
      quote_line = line;
      any = true;
    } else if (ch == ',') {
      row.push_back(cell);
      cell.clear();
      any = true;
    } else if (ch == '\n') {
      end_row();
      ++line;
    } else if (ch != '\r') {
      cell += ch;
      any = true;
    }
  }
  if (quoted)
    throw Error("report: " + source + " line " + std::to_string(quote_line) +
                ": a quoted cell is never closed (add the closing \")");
  if (any || !cell.empty()) end_row();
  if (lines.empty() || (lines[0].size() == 1 && lines[0][0].empty()))
    throw Error("report: " + source + " is empty; it needs a header row (regenerate it, or delete it to leave its section out)");
  t.columns = lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].size() == 1 && lines[i][0].empty()) continue;  // blank line
    if (lines[i].size() != t.columns.size())
      throw Error("report: " + source + " line " + std::to_string(i + 1) + " has " + std::to_string(lines[i].size()) +
                  " cells but the header has " + std::to_string(t.columns.size()) +
                  " (quote cells that hold commas, or regenerate the table)");
    t.rows.push_back(std::move(lines[i]));
  }
  return t;
}

std::optional<CsvTable> read_csv_if_exists(const std::string& dir, const std::string& name) {
  const std::string path = (std::filesystem::path(dir) / (name + ".csv")).string();
  if (!std::filesystem::exists(path)) return std::nullopt;
  return parse_csv(read_file(path), path);
}

}  // namespace hc
