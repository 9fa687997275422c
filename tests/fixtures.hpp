#pragma once
// Fixture files: ../shared/fixtures/ when it is there (the source of truth),
// else the copy in tests/data/ so the suite runs without ../shared.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "test_paths.hpp"
#include "io/layouts.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc::testing {

inline std::string fixture(const std::string& name) {
  const std::string shared = std::string(HC_SOURCE_DIR) + "/../shared/fixtures/" + name;
  if (std::filesystem::exists(shared)) return shared;
  return std::string(HC_SOURCE_DIR) + "/tests/data/" + name;
}

inline nlohmann::json fixture_json(const std::string& name) { return nlohmann::json::parse(read_file(fixture(name))); }

// A fixture's weights (layout detected) as a model for `task`.
inline Model<float> fixture_model(const std::string& name, const Task& task) {
  LoadedWeights w = load_weights(fixture(name), std::nullopt, ModelHints{task.n_ctx(), task.vocab_size(), task.name()});
  Model<float> m(w.config);
  m.params() = std::move(w.params);
  return m;
}

}  // namespace hc::testing
