#pragma once
// Crash-safe training checkpoints. One safetensors file, DIR/checkpoint.safetensors,
// written atomically (temporary file, fsync, rename), holds everything train()
// needs to continue a killed run bit-identically:
//   - the weights under their native (TransformerLens) names, so a checkpoint
//     is also a model that `headcount eval` accepts;
//   - adam.m and adam.v [N]: AdamW's moments over the flat parameter buffer;
//   - metadata headcount.checkpoint = {"format", "step", "adam_steps",
//     "elapsed_s", "skipped_batches", "finished"}, headcount.train_config,
//     headcount.task_config, headcount.model_config, and headcount.train_log
//     (train_log.csv up to the step).
// There is no RNG state to save: step s's batch is drawn from
// Rng(seed, 1000000 + s) and the held-out set from Rng(seed, 1), so the step
// and the seed (in the config) are the whole RNG state.
#include <cstdint>
#include <string>
#include <vector>

#include "train/trainer.hpp"

namespace hc {

struct Checkpoint {
  TrainConfig config;
  int64_t step = 0;        // training steps completed
  int64_t adam_steps = 0;  // AdamW updates taken (step less skipped batches)
  std::vector<float> params, m, v;  // [N] each, ParamTable order
  std::string log;                  // train_log.csv so far, header included
  double elapsed_s = 0;             // training time before this checkpoint
  int64_t skipped_batches = 0;      // bad batches skipped (--skip-bad-batches)
  bool finished = false;            // written at the end of a completed run
};

constexpr int kCheckpointFormat = 1;

std::string checkpoint_path(const std::string& run_dir);  // run_dir/checkpoint.safetensors

// Atomic: a reader sees the previous checkpoint or this one, never a mixture.
void save_checkpoint(const std::string& path, const Checkpoint& c);
// Throws hc::Error naming the file, the problem and the fix for anything
// missing or inconsistent (sizes, steps, configs).
Checkpoint load_checkpoint(const std::string& path);

// Removes the temporary files an atomic write leaves when it is killed
// (".NAME.tmp-XXXXXX" in run_dir); returns how many. Never touches finished files.
int remove_stale_temporaries(const std::string& run_dir);

// False if any element is NaN or infinite.
bool all_finite(const std::vector<float>& v);

}  // namespace hc
