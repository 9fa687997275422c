#pragma once
// Max-of-List, two-digit (puzzle 1b, TASKS.md): numbers 0..99, each written as
// two digit tokens (tens, ones), zero-padded:
//   BOS d1t d1o SEP d2t d2o SEP .. dkt dko ANS mt mo EOS
// The loss is taken at the three positions that predict mt, mo and EOS.
#include <string>
#include <vector>

#include "tasks/task.hpp"

namespace hc {

class MaxOfListDigitsTask final : public Task {
 public:
  static constexpr int kBos = 10, kSep = 11, kAns = 12, kEos = 13;  // digits are 0..9
  static constexpr int kRange = 100;                                // numbers 0..99

  explicit MaxOfListDigitsTask(const TaskConfig& cfg);  // cfg must validate

  std::string name() const override { return "max-of-list-digits"; }
  const TaskConfig& config() const override { return cfg_; }
  int vocab_size() const override { return 14; }
  int n_ctx() const override { return 3 * cfg_.list_len + 3; }  // the full sequence less EOS
  const std::vector<std::string>& vocab() const override { return vocab_; }
  int n_loss_positions() const override { return 3; }    // -> mt, -> mo, -> EOS
  int n_answer_positions() const override { return 2; }  // both digits make the answer

  // As max-of-list: training lists are drawn stratified by their maximum
  // with probability `stratified` (else uniform), held-out lists uniform; a
  // list hashing into the other split is redrawn.
  Example sample(Rng& rng, Split split) const override;
  Split split_of(const Example& ex) const override;
  std::string format(const Example& ex) const override;
  Example parse(std::string_view line, int line_no) const override;

  // The answer token is the maximum's tens digit (at ANS); its key target is
  // the digit positions holding that digit.
  KeyTarget key_target() const override;
  std::vector<AccuracyPart> accuracy_parts() const override;  // tens_digit, ones_digit
  void score_parts(const Example& ex, const int32_t* pred, std::vector<AccuracyPart>& parts) const override;
  // The puzzle's model: 2 layers, D 64, 4 heads, learned positions, 20,000 steps.
  Recipe recipe() const override;
  std::string example_line() const override {
    return "BOS 0 3 SEP 4 7 SEP 2 2 SEP 0 5 SEP 1 9 ANS 4 7 EOS";
  }

  Example make_example(const std::vector<int32_t>& list) const;  // list: [k] numbers 0..99
  Split split_of_list(const std::vector<int32_t>& list) const;

  // Corruption (tasks/corruption.cpp): one digit of the maximum changed so that its tens digit (the answer at ANS) changes.
  std::string corruption() const override;
  std::optional<Example> corrupt(const Example& ex, Rng& rng) const override;
 private:
  TaskConfig cfg_;
  std::vector<std::string> vocab_;
};

}  // namespace hc
