#pragma once
// The public puzzle series' checkpoint folder, as its trainers write it:
// model.pt (torch.save of the state dict, in the puzzle layout), config.json
//   {"model": {"vocab_size", "d_model", "n_heads", "n_layers", "max_seq_len",
//              "pos_embed_type"?: "learned" | "none"},
//    "vocab": {"type": "number" | "digit" | "unique_count", ...},
//    "training": {...}, "puzzle": "1a" | ...}
// and model.py (never read). vocab.type picks the task: number -> max-of-list
// (num_range), digit -> max-of-list-digits, unique_count -> count-unique
// (num_symbols, seq_len); any n_layers, pos_embed_type learned or none. The model
// block is checked against the shapes the weights give.
#include <optional>
#include <string>
#include <vector>

#include "model/config.hpp"
#include "tasks/task.hpp"

namespace hc {

struct PuzzleCheckpoint {
  std::string dir, config_path, weights_path;
  std::string puzzle;  // config.json "puzzle", "" when absent
  std::string vocab_type;
  int vocab_size = 0, d_model = 0, n_heads = 0, n_layers = 0, max_seq_len = 0;
  bool pos_embed = true;                // pos_embed_type "learned" (the default) or "none"
  std::optional<TaskConfig> task;       // inferred; nullopt when headcount lacks the task
  std::string missing_task;             // then: the error that names the missing task
  std::vector<std::string> notes;       // what was inferred, for the user
};

// A folder with model.pt and config.json but no model.safetensors (which would make it a run directory).
bool is_puzzle_checkpoint(const std::string& dir);
// Reads config.json; throws hc::Error naming the field and the fix.
PuzzleCheckpoint read_puzzle_checkpoint(const std::string& dir);
// The same for a config file and the weights it describes (any file name).
PuzzleCheckpoint read_puzzle_config(const std::string& config_path, const std::string& weights_path);
// The config.json beside a weights file when it is a puzzle config (it has
// "model" and "vocab" objects), else nullopt.
std::optional<std::string> puzzle_config_beside(const std::string& weights);
// config.json's model block must agree with what the weights' shapes give.
void check_puzzle_config(const PuzzleCheckpoint& p, const ModelConfig& loaded);

}  // namespace hc
