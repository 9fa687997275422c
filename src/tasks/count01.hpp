#pragma once
// Count01 (TASKS.md): s1 .. sn = a EOS, then PAD; a = 5 if more 1s than 0s,
// 4 if more 0s than 1s; the symbol 2 is noise.
#include <string>
#include <unordered_map>
#include <vector>

#include "tasks/task.hpp"

namespace hc {

class Count01Task final : public Task {
 public:
  // Token ids (fixed by TASKS.md).
  static constexpr int kEq = 3, kFour = 4, kFive = 5, kEos = 6, kPad = 7;

  explicit Count01Task(const TaskConfig& cfg);  // cfg must validate

  std::string name() const override { return "count01"; }
  const TaskConfig& config() const override { return cfg_; }
  int vocab_size() const override { return 8; }
  int n_ctx() const override { return cfg_.max_len + 2; }
  const std::vector<std::string>& vocab() const override { return vocab_; }

  // n uniform in [min_len, max_len]; each symbol is 2 with probability
  // `noise`, else 0 or 1 with equal probability. A tie (as many 1s as 0s) is
  // redrawn whole unless ties_as_4, and so is a string that hashes into the
  // other split. Both splits use the same distribution.
  Example sample(Rng& rng, Split split) const override;
  Split split_of(const Example& ex) const override;
  std::string format(const Example& ex) const override;
  Example parse(std::string_view line, int line_no) const override;

  std::vector<int> number_tokens() const override;  // 0, 1, 2
  KeyTarget key_target() const override;            // the tokens 0 and 1
  AttentionClasses attention_classes() const override;  // by token: 0, 1, 2, =
  // Each family: one string (no tie unless ties_as_4) and up to 6 distinct
  // shuffles of it, which share the answer.
  bool has_invariance_families() const override { return true; }
  std::vector<std::vector<Example>> invariance_families(int n, Rng& rng) const override;
  const CountingTraits* counting() const override { return &counting_; }
  // The paper's main configuration: D 32, 16 heads of d_head 2, no positions;
  // Adam lr 3e-3, batch 256, 3,000 steps.
  Recipe recipe() const override;
  std::string example_line() const override { return "0 1 1 2 = 5 EOS"; }

  // The padded example for a string of symbols in {0,1,2}.
  Example make_example(const std::vector<int32_t>& symbols) const;  // symbols: [n]
  Split split_of_string(const std::vector<int32_t>& symbols) const;

  // Corruption (tasks/corruption.cpp): one 0 or 1 flipped so that the answer changes.
  std::string corruption() const override;
  std::optional<Example> corrupt(const Example& ex, Rng& rng) const override;
 private:
  TaskConfig cfg_;
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int> ids_;
  bool split_empty_[2] = {false, false};  // proven by enumeration (tiny configs only)
  CountingTraits counting_;
};

}  // namespace hc
