#include "tasks/max_of_list.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tasks/registry.hpp"
#include "tasks/text_tokens.hpp"

namespace hc {

MaxOfListTask::MaxOfListTask(const TaskConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  if (cfg_.name != "max-of-list")
    throw Error("MaxOfListTask needs a max-of-list config, got '" + cfg_.name + "' (use make_task)");
  const int R = cfg_.num_range, k = cfg_.list_len;
  for (int i = 0; i < R; ++i) vocab_.push_back(std::to_string(i));
  for (const char* s : {"BOS", "SEP", "ANS", "EOS"}) vocab_.push_back(s);
  for (int i = 0; i < int(vocab_.size()); ++i) ids_[vocab_[i]] = i;

  // With few possible lists the hash split may leave one side empty, and
  // rejection sampling would never end. Enumerate small spaces to know.
  double space = 1.0;
  for (int i = 0; i < k && space <= double(1 << 20); ++i) space *= R;
  if (space <= double(1 << 20)) {
    bool seen[2] = {false, false};
    std::vector<int32_t> list(static_cast<size_t>(k), 0);
    while (true) {
      seen[int(split_of_list(list))] = true;
      int i = 0;  // odometer over all R^k lists
      while (i < k && ++list[size_t(i)] == R) list[size_t(i++)] = 0;
      if (i == k) break;
    }
    split_empty_[0] = !seen[0];
    split_empty_[1] = !seen[1];
  }
}

std::string MaxOfListTask::shape() const {
  const int k = cfg_.list_len;
  if (k == 1) return "BOS n1 ANS max EOS";
  if (k == 2) return "BOS n1 SEP n2 ANS max EOS";
  return "BOS n1 SEP .. n" + std::to_string(k) + " ANS max EOS";
}

Split MaxOfListTask::split_of_list(const std::vector<int32_t>& list) const {
  return hash_tokens(list.begin(), list.end()) % uint64_t(cfg_.test_mod) == 0 ? Split::Test
                                                                                : Split::Train;
}

Split MaxOfListTask::split_of(const Example& ex) const {
  const int k = cfg_.list_len;
  if (int(ex.seq.size()) < 2 * k + 3)
    throw Error("max-of-list: an example needs " + std::to_string(2 * k + 3) + " tokens, got " +
                std::to_string(ex.seq.size()));
  std::vector<int32_t> list(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) list[size_t(i)] = ex.seq[size_t(2 * i + 1)];
  return split_of_list(list);
}

Example MaxOfListTask::make_example(const std::vector<int32_t>& list) const {
  const int k = cfg_.list_len;
  if (int(list.size()) != k)
    throw Error("max-of-list: a list needs " + std::to_string(k) + " numbers, got " +
                std::to_string(list.size()));
  Example ex;
  ex.seq.reserve(size_t(2 * k + 3));
  ex.seq.push_back(bos());
  for (int i = 0; i < k; ++i) {
    if (list[size_t(i)] < 0 || list[size_t(i)] >= cfg_.num_range)
      throw Error("max-of-list: number " + std::to_string(list[size_t(i)]) + " is outside 0.." +
                  std::to_string(cfg_.num_range - 1));
    if (i > 0) ex.seq.push_back(sep());
    ex.seq.push_back(list[size_t(i)]);
  }
  ex.answer = *std::max_element(list.begin(), list.end());
  ex.seq.push_back(ans());
  ex.seq.push_back(ex.answer);
  ex.seq.push_back(eos());
  ex.query_pos = 2 * k;
  ex.loss_pos = {2 * k, 2 * k + 1};  // ANS -> max, max -> EOS
  return ex;
}

void MaxOfListTask::draw_uniform(Rng& rng, std::vector<int32_t>& list) const {
  for (auto& x : list) x = int32_t(rng.below(uint32_t(cfg_.num_range)));
}

// Uniform among the lists with maximum exactly m, by rejection: elements
// uniform in 0..m, redrawn until one equals m. (Forcing m into a random slot
// instead would over-weight lists with a single m.) Acceptance is
// 1 - (m/(m+1))^k, so at worst about R/k tries.
void MaxOfListTask::draw_stratified(Rng& rng, std::vector<int32_t>& list) const {
  const int32_t m = int32_t(rng.below(uint32_t(cfg_.num_range)));
  bool hit = false;
  while (!hit) {
    for (auto& x : list) {
      x = int32_t(rng.below(uint32_t(m) + 1));
      hit |= x == m;
    }
  }
}

Example MaxOfListTask::sample(Rng& rng, Split split) const {
  const char* which = split == Split::Test ? "test" : "train";
  if (split_empty_[int(split)])
    throw Error("max-of-list: none of the lists of " + std::to_string(cfg_.list_len) +
                " numbers in 0.." + std::to_string(cfg_.num_range - 1) + " falls in the " + which +
                " split (hash % " + std::to_string(cfg_.test_mod) +
                "); use a larger --list-len or --num-range, or another --test-mod");
  std::vector<int32_t> list(static_cast<size_t>(cfg_.list_len));
  const bool may_stratify = split == Split::Train && cfg_.stratified > 0.0;
  for (int64_t tries = 0; tries < kMaxSplitRejections; ++tries) {
    if (may_stratify && rng.uniform() < cfg_.stratified)
      draw_stratified(rng, list);
    else
      draw_uniform(rng, list);
    if (split_of_list(list) == split) return make_example(list);
  }
  throw Error(std::string("max-of-list: could not draw a ") + which + " list in " +
              std::to_string(kMaxSplitRejections) + " tries; use a smaller --test-mod");
}

std::string MaxOfListTask::format(const Example& ex) const {
  return format_tokens("max-of-list", vocab_, ex.seq, size_t(2 * cfg_.list_len + 3));
}

Example MaxOfListTask::parse(std::string_view line, int line_no) const {
  const int k = cfg_.list_len, R = cfg_.num_range;
  const auto toks = split_tokens(line);
  if (toks.empty()) line_error(line_no, "empty line (expected " + shape() + ")");
  std::vector<int32_t> ids;
  ids.reserve(toks.size());
  for (auto t : toks) {
    auto it = ids_.find(std::string(t));
    if (it == ids_.end())
      line_error(line_no, "unknown token '" + std::string(t) + "' (tokens are 0.." +
                              std::to_string(R - 1) + ", BOS, SEP, ANS, EOS)");
    ids.push_back(it->second);
  }
  if (int(ids.size()) != 2 * k + 3)
    line_error(line_no, "expected " + std::to_string(2 * k + 3) + " tokens (" + shape() +
                            "), got " + std::to_string(ids.size()));
  auto expect = [&](int pos, int id) {
    if (ids[size_t(pos)] != id)
      line_error(line_no, "position " + std::to_string(pos) + " should be " + vocab_[size_t(id)] +
                              ", found " + std::string(toks[size_t(pos)]));
  };
  auto expect_number = [&](int pos, const char* what) {
    if (ids[size_t(pos)] >= R)
      line_error(line_no, "position " + std::to_string(pos) + " should be " + what + " (0.." +
                              std::to_string(R - 1) + "), found " + std::string(toks[size_t(pos)]));
  };
  expect(0, bos());
  std::vector<int32_t> list(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) {
    if (i > 0) expect(2 * i, sep());
    expect_number(2 * i + 1, "a number");
    list[size_t(i)] = ids[size_t(2 * i + 1)];
  }
  expect(2 * k, ans());
  expect_number(2 * k + 1, "the maximum");
  expect(2 * k + 2, eos());
  Example ex = make_example(list);
  if (ids[size_t(2 * k + 1)] != ex.answer) {
    std::string shown;
    for (int i = 0; i < k; ++i) {
      if (i) shown += ' ';
      shown += std::to_string(list[size_t(i)]);
    }
    line_error(line_no, "wrong answer: the maximum of [" + shown + "] is " +
                            std::to_string(ex.answer) + ", the line says " +
                            std::string(toks[size_t(2 * k + 1)]));
  }
  return ex;
}

// The options of Max-of-List (TASKS.md), registered in tasks/registry.cpp.
std::vector<TaskOption> max_of_list_options() {
  return {
      // 2k + 2 <= 4096 keeps n_ctx in the same bound as Count01's.
      field_option(option_spec("list-len", OptionType::Int, 1, 2047, "Max-of-List: numbers per list k"), &TaskConfig::list_len, 5),
      field_option(option_spec("num-range", OptionType::Int, 2, 1000, "Max-of-List: numbers are 0..R-1"), &TaskConfig::num_range,
                   10),
      field_option(option_spec("stratified", OptionType::Float, 0, 1, "Max-of-List: share of training lists drawn stratified",
                       "it is the share of training lists drawn stratified by their maximum"),
                   &TaskConfig::stratified, 0.5, /*flag=*/false),
      field_option(option_spec("test-mod", OptionType::Int, 2, 2147483647, "A list is held out iff hash % test-mod == 0",
                       "a list is held out iff hash % test-mod == 0"),
                   &TaskConfig::test_mod, 10, /*flag=*/false),
  };
}

std::unique_ptr<Task> make_max_of_list_task(const TaskConfig& c) { return std::make_unique<MaxOfListTask>(c); }
std::vector<int> MaxOfListTask::number_tokens() const {
  std::vector<int> out;
  for (int t = 0; t < cfg_.num_range; ++t) out.push_back(t);
  return out;
}

KeyTarget MaxOfListTask::key_target() const {
  return {KeyTarget::Kind::answer_token, {}, "positions holding the maximum"};
}

AttentionClasses MaxOfListTask::attention_classes() const {
  AttentionClasses c = Task::attention_classes();
  c.names[0] = "max";
  return c;
}

std::vector<std::vector<Example>> MaxOfListTask::invariance_families(int n, Rng& rng) const {
  const int k = cfg_.list_len, R = cfg_.num_range;
  if (R < 2 || k < 2)
    throw Error("invariance: Max-of-List needs num_range >= 2 and list_len >= 2 to move a unique maximum");
  std::vector<std::vector<Example>> out;
  for (int f = 0; f < n; ++f) {
    // A unique maximum, so "the maximum's position" is well defined.
    const int m = rng.range(1, R - 1);
    std::vector<int32_t> others(size_t(k - 1));
    for (auto& x : others) x = rng.range(0, m - 1);
    std::vector<Example> family;
    for (int at = 0; at < k; ++at) {
      std::vector<int32_t> list = others;
      list.insert(list.begin() + at, m);
      family.push_back(make_example(list));
    }
    out.push_back(std::move(family));
  }
  return out;
}

}  // namespace hc
