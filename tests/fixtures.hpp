#pragma once
// Fixture files: ../shared/fixtures/ when it is there (the source of truth),
// else the copy in tests/data/ so the suite runs without ../shared.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"

namespace hc::testing {

inline std::string fixture(const std::string& name) {
  const std::string shared = std::string(HC_SOURCE_DIR) + "/../shared/fixtures/" + name;
  if (std::filesystem::exists(shared)) return shared;
  return std::string(HC_SOURCE_DIR) + "/tests/data/" + name;
}

inline nlohmann::json fixture_json(const std::string& name) { return nlohmann::json::parse(read_file(fixture(name))); }

}  // namespace hc::testing
