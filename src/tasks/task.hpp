#pragma once
// A task turns a seed into examples, and examples into model inputs, targets
// and loss positions (docs/FORMATS.md gives each task's exact format), and
// answers what analyses ask of it (tasks/traits.hpp). Adding a task:
// docs/ARCHITECTURE.md.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/rng.hpp"
#include "tasks/traits.hpp"

namespace hc {

enum class Split { Train, Test };

// Every task-level option, with the defaults of TASKS.md. Fields that do not
// apply to the chosen task are ignored (and not written to JSON).
struct TaskConfig {
  std::string name = "max-of-list";  // a registered task (tasks/registry.hpp)
  // Max-of-List
  int list_len = 5;        // k
  int num_range = 10;      // R: numbers are 0..R-1
  double stratified = 0.5; // share of training lists drawn stratified by their maximum
  // Count01
  int min_len = 1;
  int max_len = 20;
  double noise = 1.0 / 3.0;  // probability of the noise symbol `2`
  bool ties_as_4 = false;    // default: ties are excluded (resampled)
  // Count-unique
  int seq_len = 10;   // N: symbols per sequence
  int alphabet = 10;  // V: symbols a, b, .. available
  // Both: a list/string is in the test split iff hash(content) % test_mod == 0.
  int test_mod = 10;
  // The file task (tasks/file_task.hpp): its data files, as absolute paths.
  std::string train_set, eval_set;

  void validate() const;  // throws hc::Error naming the field and the fix
};

nlohmann::json to_json(const TaskConfig& c);
TaskConfig task_config_from_json(const nlohmann::json& j, const std::string& source);

// One example: the full sequence (model input plus the final target), padded
// to n_ctx + 1 tokens, and where the loss is taken.
struct Example {
  std::vector<int32_t> seq;          // [T+1] full sequence incl. answer, EOS, padding
  std::vector<int32_t> loss_pos;     // [P] positions in the model input; target = seq[p + 1]
  int answer = -1;                   // the answer token (max, or 4/5), for analyses
  int query_pos = -1;                // where the answer is predicted (ANS or `=`)
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual const TaskConfig& config() const = 0;
  virtual int vocab_size() const = 0;  // V
  virtual int n_ctx() const = 0;       // T (model input length)
  // P: where the loss is taken, the same count for every example. The first
  // n_answer_positions() predict the answer (EvalResult::accuracy: all of
  // them right); the rest (EOS) follow it (eos_accuracy). Default: the answer
  // token, then EOS.
  virtual int n_loss_positions() const { return 2; }
  virtual int n_answer_positions() const { return 1; }
  virtual const std::vector<std::string>& vocab() const = 0;  // token names by id
  // Token id for a name, or -1.
  int token_id(std::string_view name) const;

  // Draws one example of the given split (rejection by content hash keeps the
  // splits disjoint). Deterministic in the RNG state.
  virtual Example sample(Rng& rng, Split split) const = 0;
  // Which split an example's content belongs to.
  virtual Split split_of(const Example& ex) const = 0;

  // The text form (TASKS.md): token names, single spaces, padding omitted.
  virtual std::string format(const Example& ex) const = 0;
  // Parses one line; throws hc::Error("line N: <reason>") on anything wrong:
  // unknown token, wrong shape, wrong answer.
  virtual Example parse(std::string_view line, int line_no) const = 0;

  // The checks that pin an example's prediction: the answer token at
  // query_pos, and EOS at query_pos + 1.
  int eos_token() const;

  // ---- traits analyses ask for (tasks/traits.hpp); defaults fit any task ----
  // Tokens that are "numbers" (value norms, the QK/OV circuits' orderings,
  // attention stats' content keys), ordered by value. Default: every token
  // whose name is a non-negative integer, by that integer.
  virtual std::vector<int> number_tokens() const;
  // What an edge-scaling run and attention stats target. Default: the
  // positions holding the answer token.
  virtual KeyTarget key_target() const;
  // Attention stats' key classes. Default: "target" (the key target),
  // "other_numbers" (number tokens) and "special" (the rest).
  virtual AttentionClasses attention_classes() const;
  // n families of inputs that share their answer (the invariance analysis),
  // drawn from rng, when has_invariance_families(). Default: none known; an
  // hc::Error says to give a file.
  virtual bool has_invariance_families() const { return false; }
  virtual std::vector<std::vector<Example>> invariance_families(int n, Rng& rng) const;
  // A counterfactual partner of `ex` for activation and path patching
  // (tasks/corruption.hpp): one symbol changed so that the answer changes,
  // same length and query position; nullopt when no such change exists for
  // this example. corruption() says in a few words what it changes; "" (the
  // default) means the task has none, and corrupt() then throws hc::Error.
  virtual std::string corruption() const { return ""; }
  virtual std::optional<Example> corrupt(const Example& ex, Rng& rng) const;
  // The default training recipe (model shape and optimisation).
  virtual Recipe recipe() const { return {}; }
  // The Count01 paper's counting traits, or nullptr for a task without them.
  virtual const CountingTraits* counting() const { return nullptr; }
  // Lines written above the examples of a text file (save_text), each
  // starting with '#'; load_text skips such lines at the top of a file.
  // Default: none.
  virtual std::string text_header() const { return ""; }
  // A task whose examples are a fixed list (read from files) returns it for
  // the split; generate() then takes the examples from it. Default: nullptr,
  // examples are drawn.
  virtual const std::vector<Example>* fixed_examples(Split) const { return nullptr; }
  // Accuracy broken down the task's way (TASKS.md), reported beside the
  // headline numbers: the parts with n = correct = 0. Default: none.
  virtual std::vector<AccuracyPart> accuracy_parts() const { return {}; }
  // Adds `ex` to the parts it counts in; pred[i] is the argmax at
  // ex.loss_pos[i] (n_loss_positions() of them).
  virtual void score_parts(const Example& ex, const int32_t* pred, std::vector<AccuracyPart>& parts) const;
  // What each split holds, one line each, for tasks whose splits are small or
  // uneven (count-unique's strata); `headcount data` and train print them.
  // Default: nothing to say.
  virtual std::vector<std::string> split_sizes() const { return {}; }
  // One example line in the text form, for messages (e.g. an empty file).
  // Default: a drawn training example.
  virtual std::string example_line() const;
};

std::unique_ptr<Task> make_task(const TaskConfig& cfg);

// A fixed data set (e.g. the held-out evaluation set).
struct Dataset {
  std::vector<Example> examples;
  std::string source;  // e.g. "generated test split (seed 1, n 5000)" or a file path
};

// `n` examples of `split`, drawn from RNG stream (seed, stream); for a task
// with fixed examples (Task::fixed_examples), the first n of them (all when
// n is larger).
Dataset generate(const Task& task, Split split, int n, uint64_t seed, uint64_t stream);
// Reads the text form; every malformed line is an error with its line number.
// An empty file is an error too. Lines starting with '#' at the top of the
// file are a header (Task::text_header), not examples.
Dataset load_text(const Task& task, const std::string& path);
// Writes the text form atomically.
void save_text(const Task& task, const Dataset& ds, const std::string& path);

}  // namespace hc
