#pragma once
// A sweep spec: train options, any of which may be a list; the grid is the
// product of the lists (first list slowest), seeds innermost.
//
//   {"task": "count01", "d-model": [16, 32], "heads": [4, 8], "steps": 300,
//    "seeds": 3, "analyses": ["ablation"]}
//
// "seeds" is a count (seeds 1..n) or a list. Everything is checked when the
// spec is loaded, before any run starts.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc {

struct SweepSpec {
  std::string source;
  nlohmann::ordered_json options;    // option -> scalar or non-empty list, in file order
  std::vector<uint64_t> seeds;       // default {1}
  std::vector<std::string> analyses; // run on each finished model
  std::vector<std::string> columns() const;  // option columns of the results, file order, then "seed"
};

struct RunSpec {
  int index = 0;                 // position in the grid
  nlohmann::ordered_json options;// one scalar per option, "seed" included
};

std::vector<std::string> known_analyses();  // the registered analyses (interp/analysis.hpp)

SweepSpec parse_spec(const std::string& text, const std::string& source);
SweepSpec load_spec(const std::string& path);
std::vector<RunSpec> expand(const SweepSpec& spec);

// The column name of an option in results tables: dashes become underscores.
std::string column_name(const std::string& option);

}  // namespace hc
