#pragma once
// What the binding files share: the loaded-model handle, JSON <-> Python
// conversion, and the exception that becomes FileNotFoundError. One file per
// area: model.cpp (load, forward, cache, hooks, weights), tasks.cpp,
// train.cpp, analyses.cpp; module.cpp assembles them.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"
#include "train/trainer.hpp"

namespace hc::py {

namespace pyb = pybind11;

// A path that does not exist: FileNotFoundError in Python (other hc::Error: ValueError).
struct NotFound : Error {
  using Error::Error;
};

// A model with its task, as Python holds it (shared by every array that views its buffers).
struct LoadedModel {
  TrainConfig config;  // task and model; training fields are the task's defaults for imports
  std::unique_ptr<Task> task;
  std::unique_ptr<Model<float>> model;
  std::string source;
  std::vector<std::string> notes;
};
using ModelPtr = std::shared_ptr<LoadedModel>;

// Built from a config: a task made from config.task, a zeroed model of config.model.
ModelPtr make_loaded(const TrainConfig& config, std::string source);

pyb::object to_python(const nlohmann::json& j);
nlohmann::json from_python(pyb::handle h);

// tokens: any integer array-like [B,T] or [T] (a torch tensor too) -> int32 [B,T], checked against the model.
std::vector<int32_t> token_batch(const ModelConfig& c, pyb::handle tokens, int& B);

// A Dataset from Python: a list of Example objects.
Dataset dataset_from_examples(const std::vector<Example>& examples, const std::string& source);

void init_model(pyb::module_& m);
void init_tasks(pyb::module_& m);
void init_train(pyb::module_& m);
void init_analyses(pyb::module_& m);

}  // namespace hc::py
