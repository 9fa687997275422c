#pragma once
// What analyses may ask of a task, as plain data. An analysis asks "what are
// your number tokens?" or "which keys does an edge-scaling run target?", never
// "are you Max-of-List?": every task answers through these (tasks/task.hpp),
// and the defaults make a task with no special knowledge (one defined by data
// files, say) work with every generic analysis.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hc {

struct Example;  // tasks/task.hpp

// The key positions that attention-edge scaling scales and attention stats
// call "target" (interp/edge_scaling.hpp): positions before the query that
// hold the example's answer token (Max-of-List: the maximum), or positions
// holding one of a set of tokens (Count01: the `0`s and `1`s).
struct KeyTarget {
  enum class Kind { answer_token, tokens };
  Kind kind = Kind::answer_token;
  std::vector<int> tokens;  // Kind::tokens: the token ids
  std::string description;  // e.g. "positions holding the maximum"
};

// How attention stats group the keys of the query row into classes.
struct AttentionClasses {
  std::vector<std::string> names;  // e.g. {"max", "other_numbers", "special"}
  std::vector<int> token_class;    // [V] class of a non-target key by its token; -1: none
  int target_class = -1;           // class of a target key; -1: classes are by token only
};

// A task's default training recipe: the model and the optimisation that
// `headcount train --task NAME` uses unless told otherwise. The defaults are
// the puzzle 1a recipe (TASKS.md).
struct Recipe {
  int n_layers = 1;
  int d_model = 64, n_heads = 4, d_head = 16;
  bool pos_embed = true, biases = false;
  std::string init = "normal";  // ModelConfig::init
  int64_t steps = 20000;
  int batch = 512;
  double lr = 1e-3, weight_decay = 0.01;
  int64_t eval_every = 1000;
  int eval_size = 5000;
};

// One line of a task's own accuracy breakdown (Task::accuracy_parts): e.g. the
// tens digit of puzzle 1b, or the examples with 3 distinct symbols of
// count-unique. `key` names it in JSON and in the training log
// ("tens_digit", "count_3"); accuracy = correct / n over the examples that
// count in it.
struct AccuracyPart {
  std::string key;
  int64_t n = 0, correct = 0;
  double accuracy() const { return n > 0 ? double(correct) / double(n) : 0.0; }
};

// The binary counting language of the Count01 paper (ANALYSES.md part A):
// which tokens play which role. A task that has these traits gets the paper's
// per-head metrics, the w01 intervention, logit dynamics and the minimal
// solution.
struct CountingTraits {
  int zero = -1, one = -1, noise = -1;  // the symbols `0`, `1` and the noise symbol `2`
  int query = -1;                       // `=`: where the answer is predicted
  int answer_zero = -1;                 // `4`: more 0s than 1s
  int answer_one = -1;                  // `5`: more 1s than 0s
  int eos = -1;                         // predicted right after the answer
  int min_len = 0, max_len = 0;         // the string lengths the task draws
  bool noisy = false;                   // the noise symbol occurs (else the alphabet is {0, 1})
  bool ties_allowed = false;            // a tie is a valid string (answered `4`)
  // The example for a string of symbols (ids of zero/one/noise); throws
  // hc::Error for a string the task does not allow (length, a tie).
  std::function<Example(const std::vector<int32_t>&)> make_example;
};

}  // namespace hc
