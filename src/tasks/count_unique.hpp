#pragma once
// Count-unique (the puzzle series' May puzzle, TASKS.md): BOS t1 .. tN ANS #k,
// where k is the number of distinct symbols among t1..tN (symbols a, b, ..).
// The loss is taken at ANS only; there is no EOS.
#include <string>
#include <unordered_map>
#include <vector>

#include "tasks/task.hpp"

namespace hc {

class CountUniqueTask final : public Task {
 public:
  explicit CountUniqueTask(const TaskConfig& cfg);  // cfg must validate

  std::string name() const override { return "count-unique"; }
  const TaskConfig& config() const override { return cfg_; }
  int vocab_size() const override { return V_ + 2 + N_; }  // symbols, BOS, ANS, #1..#N
  int n_ctx() const override { return N_ + 2; }           // BOS t1 .. tN ANS
  const std::vector<std::string>& vocab() const override { return vocab_; }
  int n_loss_positions() const override { return 1; }

  // Stratified by the count: k uniform in 1..min(N, V); k distinct symbols,
  // one copy of each, the other N - k positions filled from those k, then
  // shuffled. A string drawn into the other split is redrawn. The split
  // (split_sizes()): a stratum small enough to enumerate is split by rank of
  // the strings' hashes, so both sides hold at least one string; a larger
  // one by hash % test_mod == 0.
  Example sample(Rng& rng, Split split) const override;
  Split split_of(const Example& ex) const override;
  std::string format(const Example& ex) const override;
  Example parse(std::string_view line, int line_no) const override;

  KeyTarget key_target() const override;                // the symbols
  AttentionClasses attention_classes() const override;  // symbol, special
  // Each family: one string and up to 6 distinct shuffles of it (same count).
  bool has_invariance_families() const override { return true; }
  std::vector<std::vector<Example>> invariance_families(int n, Rng& rng) const override;
  std::vector<AccuracyPart> accuracy_parts() const override;  // count_1 .. count_K
  void score_parts(const Example& ex, const int32_t* pred, std::vector<AccuracyPart>& parts) const override;
  std::vector<std::string> split_sizes() const override;
  // The puzzle's model: 2 layers, D 32, 4 heads, no positions, 40,000 steps.
  Recipe recipe() const override;

  Example make_example(const std::vector<int32_t>& symbols) const;  // symbols: [N] ids 0..V-1
  Split split_of_string(const std::vector<int32_t>& symbols) const;
  int bos() const { return V_; }
  int ans() const { return V_ + 1; }
  int count_token(int k) const { return V_ + 1 + k; }  // #k
  int max_count() const { return std::min(N_, V_); }

  // Corruption (tasks/corruption.cpp): one symbol changed so that the count moves by one.
  std::string corruption() const override;
  std::optional<Example> corrupt(const Example& ex, Rng& rng) const override;
 private:
  // One stratum (count k): how many strings it has, and how the split is made.
  struct Stratum {
    double strings = 0;          // C(V, k) * surjections(N -> k)
    bool enumerated = false;     // split by hash rank: test iff hash <= test_max_hash
    uint64_t test_max_hash = 0;
    int64_t n_test = 0, n_train = 0;  // exact when enumerated
  };
  int count_of(const std::vector<int32_t>& symbols) const;
  void draw(Rng& rng, int k, std::vector<int32_t>& out) const;

  TaskConfig cfg_;
  int N_ = 0, V_ = 0;
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int> ids_;
  std::vector<Stratum> strata_;  // [k - 1]
  std::vector<double> train_cdf_;  // P(count <= k) of a training draw, [k - 1]
};

}  // namespace hc
