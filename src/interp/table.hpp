#pragma once
// A labelled table: what every analysis returns. Cells are numbers or strings;
// it writes itself as CSV (for pandas) and JSON, and says what data it ran on.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc {

struct Table {
  std::string name;         // file stem, e.g. "ablation_zero_single"
  std::string description;  // one line: what a row is
  std::string dataset;      // what it ran on, e.g. "max_of_list_torch.test.txt (5000 examples)"
  std::vector<std::string> columns;
  std::vector<std::vector<nlohmann::json>> rows;  // each cell a number or a string

  void add_row(std::vector<nlohmann::json> row);  // throws if the width is wrong
  std::string to_csv() const;                     // header line, then rows; numbers with 9 significant digits
  nlohmann::json to_json() const;                 // {"name","description","dataset","columns","rows"}
};

// Writes DIR/<name>.csv atomically.
void write_csv(const Table& t, const std::string& dir);

}  // namespace hc
