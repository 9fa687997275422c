#include "interp/table.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace hc {

void Table::add_row(std::vector<nlohmann::json> row) {
  if (row.size() != columns.size())
    throw std::logic_error("table " + name + ": row has " + std::to_string(row.size()) + " cells, expected " +
                           std::to_string(columns.size()));
  rows.push_back(std::move(row));
}

namespace {

std::string csv_cell(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", d);
    return buf;
  }
  if (v.is_null()) return "";
  return v.dump();
}

}  // namespace

std::string Table::to_csv() const {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + csv_cell(columns[i]);
  out += "\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_cell(row[i]);
    out += "\n";
  }
  return out;
}

nlohmann::json Table::to_json() const {
  return {{"name", name}, {"description", description}, {"dataset", dataset}, {"columns", columns}, {"rows", rows}};
}

void write_csv(const Table& t, const std::string& dir) {
  write_file_atomic((std::filesystem::path(dir) / (t.name + ".csv")).string(), t.to_csv());
}

}  // namespace hc
