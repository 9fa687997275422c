#pragma once
// The PyTorch-trained two-layer puzzle fixtures of tests/data/puzzle2 (see
// make_fixtures.py there): the task from config.json, the model from
// weights.safetensors in the puzzle layout, and the held-out eval.txt.
#include <memory>
#include <string>

#include "../fixtures.hpp"
#include "io/layouts.hpp"
#include "io/puzzle_checkpoint.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc::testing {

struct Puzzle2 {
  std::unique_ptr<Task> task;
  std::unique_ptr<Model<float>> model;
  Dataset eval;
};

inline Puzzle2 load_puzzle2(const std::string& dir) {  // "digits" or "unique"
  const std::string w = fixture("puzzle2/" + dir + "/weights.safetensors");
  const PuzzleCheckpoint pc = read_puzzle_config(*puzzle_config_beside(w), w);
  Puzzle2 p;
  p.task = make_task(*pc.task);
  LoadedWeights lw =
      load_weights(w, Layout::Puzzle, ModelHints{p.task->n_ctx(), p.task->vocab_size(), p.task->name()});
  p.model = std::make_unique<Model<float>>(lw.config);
  p.model->params() = std::move(lw.params);
  p.eval = load_text(*p.task, fixture("puzzle2/" + dir + "/eval.txt"));
  return p;
}

}  // namespace hc::testing
