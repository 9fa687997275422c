#pragma once
// Logit lens: the residual stream after each layer (and the embedding before
// the first), read through the unembedding (W_U, b_U) at each example's
// query position. How far the answer is already decided layer by layer.
#include <string>
#include <vector>

#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct LogitLens {
  // Stage s = 0: embed + pos (blocks.0.hook_resid_pre); s = l + 1: blocks.l.hook_resid_post.
  std::vector<std::string> stages;
  std::vector<double> accuracy;  // [S]: argmax is the answer
  std::vector<double> margin;    // [S]: mean answer logit minus the largest other
  std::vector<int> classes;      // answer tokens present, ascending
  std::vector<double> class_accuracy;  // [S, C]
  size_t n = 0;
};

LogitLens logit_lens(const Model<float>& model, const Dataset& data, int threads);

}  // namespace hc
