// Loading a puzzle checkpoint folder (model.pt + config.json, as the puzzle
// series' trainers write it): task and layout inferred from config.json,
// --task / --layout override them.
#include "cli/common.hpp"
#include "core/error.hpp"
#include "io/layouts.hpp"
#include "io/puzzle_checkpoint.hpp"

namespace hc::cli {

LoadedModel load_puzzle_dir(const LoadFlags& f) {
  const PuzzleCheckpoint pc = read_puzzle_checkpoint(f.path);
  if (!pc.task && f.task.task().empty()) throw Error(pc.missing_task + "; pass --task if the weights fit another task");
  LoadedModel out;
  out.notes = pc.notes;
  out.config.task = f.task.apply(pc.task ? *pc.task : TaskConfig{});
  if (f.task.any_set()) out.notes.push_back("task options from the command line: " + to_json(out.config.task).dump());
  const Layout layout = f.layout.empty() ? Layout::Puzzle : parse_layout(f.layout);
  out.task = make_task(out.config.task);
  LoadedWeights lw = load_weights(pc.weights_path, layout,
                                  ModelHints{out.task->n_ctx(), out.task->vocab_size(), out.task->name()});
  if (layout == Layout::Puzzle) check_puzzle_config(pc, lw.config);
  out.config.model = lw.config;
  out.notes.insert(out.notes.end(), lw.notes.begin(), lw.notes.end());
  out.model = std::make_unique<Model<float>>(lw.config);
  out.model->params() = std::move(lw.params);
  out.source = f.path;
  return out;
}

}  // namespace hc::cli
