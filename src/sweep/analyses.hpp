#pragma once
// Per-head figures computed on each finished model of a sweep (the "analyses"
// of a spec), stored in the results' `heads` table.
#include <string>
#include <vector>

#include "model/model.hpp"
#include "sweep/run.hpp"
#include "train/trainer.hpp"

namespace hc {

std::vector<HeadFigure> run_analyses(const std::vector<std::string>& analyses, const Model<float>& model,
                                     const TrainConfig& cfg);

}  // namespace hc
