#pragma once
// Max-of-List (TASKS.md): BOS n1 SEP n2 .. SEP nk ANS max EOS, numbers 0..R-1.
#include <string>
#include <unordered_map>
#include <vector>

#include "tasks/task.hpp"

namespace hc {

class MaxOfListTask final : public Task {
 public:
  explicit MaxOfListTask(const TaskConfig& cfg);  // cfg must validate

  std::string name() const override { return "max-of-list"; }
  const TaskConfig& config() const override { return cfg_; }
  int vocab_size() const override { return cfg_.num_range + 4; }
  int n_ctx() const override { return 2 * cfg_.list_len + 2; }
  const std::vector<std::string>& vocab() const override { return vocab_; }

  // Train: with probability `stratified` the list is drawn stratified by its
  // maximum (m uniform in 0..R-1, then a list uniform among those whose
  // maximum is exactly m), else uniform. Test: always uniform, so held-out
  // accuracy is measured on the natural distribution of lists. Either way a
  // draw whose list hashes into the other split is rejected and redrawn.
  Example sample(Rng& rng, Split split) const override;
  Split split_of(const Example& ex) const override;
  std::string format(const Example& ex) const override;
  Example parse(std::string_view line, int line_no) const override;

  std::vector<int> number_tokens() const override;  // 0..R-1
  KeyTarget key_target() const override;            // the positions holding the maximum
  AttentionClasses attention_classes() const override;  // max, other_numbers, special
  // Each family: one list with a unique maximum, the maximum moved through
  // every position (the other numbers in place).
  bool has_invariance_families() const override { return true; }
  std::vector<std::vector<Example>> invariance_families(int n, Rng& rng) const override;
  std::string example_line() const override { return "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS"; }

  // The example for a list of k numbers (e.g. a list table from a reference file).
  Example make_example(const std::vector<int32_t>& list) const;  // list: [k]
  Split split_of_list(const std::vector<int32_t>& list) const;   // list: [k]

  int bos() const { return cfg_.num_range; }
  int sep() const { return cfg_.num_range + 1; }
  int ans() const { return cfg_.num_range + 2; }
  int eos() const { return cfg_.num_range + 3; }

 private:
  void draw_uniform(Rng& rng, std::vector<int32_t>& list) const;
  void draw_stratified(Rng& rng, std::vector<int32_t>& list) const;
  std::string shape() const;  // "BOS n1 SEP .. n5 ANS max EOS", for messages

  TaskConfig cfg_;
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int> ids_;
  // True when enumeration proved that no list falls in that split (only
  // possible for tiny k and R); sample() then fails at once with a fix.
  bool split_empty_[2] = {false, false};
};

}  // namespace hc
