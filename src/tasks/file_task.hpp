#pragma once
// A task defined by data files (TASKS.md "Tasks from data files"): token
// sequences in the text form, one example a line, with a header that declares
// the vocabulary and where the loss is taken:
//
//   # vocab: a b c d = T F
//   # loss: after =          (the tokens after the first '=' are the targets)
//   a b c a = T
//   b c d c = F
//
// or `# loss: marked`, where each line separates its targets with '|'
// (`a b c a | T`; the '|' is not a token). `--train-set` gives the training
// examples (drawn uniformly, with replacement) and `--eval-set` the held-out
// ones; both files carry the same header (the evaluation file may omit it).
// Lines may differ in length (shorter ones are padded with PAD, which is added
// to the vocabulary when the header does not name it) but not in their number
// of targets. An example counts as right when every target is; the first
// target is "the answer" for analyses that ask for one token.
#include <map>
#include <string>
#include <vector>

#include "tasks/task.hpp"

namespace hc {

// The header of a data file.
struct FileTaskHeader {
  std::vector<std::string> vocab;  // token names in id order, PAD included
  std::string loss;                // "after" or "marked"
  std::string marker;              // with "after": the marker token
  int header_lines = 0;            // lines the header takes at the top of its file
};

// Reads the header at the top of `text` (lines starting with '#'); `path` for
// messages. Throws hc::Error naming the line and the fix.
FileTaskHeader parse_file_task_header(const std::string& text, const std::string& path);

class FileTask final : public Task {
 public:
  explicit FileTask(const TaskConfig& cfg);  // reads cfg.train_set and cfg.eval_set

  std::string name() const override { return "file"; }
  const TaskConfig& config() const override { return cfg_; }
  int vocab_size() const override { return int(header_.vocab.size()); }
  int n_ctx() const override { return n_ctx_; }
  int n_loss_positions() const override { return n_targets_; }
  // Every target is part of the answer: an example is right when all are.
  int n_answer_positions() const override { return n_targets_; }
  const std::vector<std::string>& vocab() const override { return header_.vocab; }

  // A uniform draw from the training file (Train) or the evaluation file (Test).
  Example sample(Rng& rng, Split split) const override;
  Split split_of(const Example& ex) const override;
  std::string format(const Example& ex) const override;
  Example parse(std::string_view line, int line_no) const override;
  std::string text_header() const override;
  const std::vector<Example>* fixed_examples(Split split) const override;
  std::string example_line() const override;

 private:
  // One line's tokens and the index of its first target, before padding.
  struct Line {
    std::vector<int32_t> ids;
    size_t first_target = 0;
  };
  Line tokens_of(std::string_view line, int line_no) const;
  Example padded(const Line& l) const;
  std::vector<Line> read_lines(const std::string& path, bool header_required);

  TaskConfig cfg_;
  FileTaskHeader header_;
  std::map<std::string, int> ids_;
  int pad_ = -1, n_ctx_ = 0, n_targets_ = 0;
  std::vector<Example> train_, eval_;
};

}  // namespace hc
