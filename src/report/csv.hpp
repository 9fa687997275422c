#pragma once
// Reading the CSV tables of an output directory (as interp/table.hpp writes
// them, or as another tool wrote them): a header row, then one row per record;
// cells with commas or quotes are quoted, a quote doubled inside.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc {

struct CsvTable {
  std::string source;  // the file, for messages
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  // Index of a column; -1 when absent.
  int find(const std::string& column) const;
  // Throws hc::Error naming the file and the missing columns when any of
  // `columns` is absent (and what the file must hold).
  void require(const std::vector<std::string>& columns) const;
  // The rows as JSON records, only the given columns (all when empty). A cell
  // that reads fully as a number becomes a number ("nan", "inf" and "" become
  // null), "true"/"false" booleans, anything else a string.
  nlohmann::json records(const std::vector<std::string>& columns = {}) const;
};

// Parses CSV text; a row whose cell count differs from the header's, or an
// unterminated quote, is an hc::Error naming `source` and the line.
CsvTable parse_csv(const std::string& text, const std::string& source);

// DIR/NAME.csv parsed, or nothing when the file does not exist.
std::optional<CsvTable> read_csv_if_exists(const std::string& dir, const std::string& name);

// A CSV cell as JSON (the rule of CsvTable::records).
nlohmann::json csv_value(const std::string& cell);

}  // namespace hc
