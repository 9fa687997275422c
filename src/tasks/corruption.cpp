// Every built-in task's counterfactual corruption (Task::corrupt), and the
// pair generator. A corruption changes one symbol of the input so that the
// answer at the query position changes, keeping the length, so that the clean
// and corrupted runs line up position by position.
#include "tasks/corruption.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tasks/count01.hpp"
#include "tasks/count_unique.hpp"
#include "tasks/max_of_list_digits.hpp"

namespace hc {

std::optional<Example> Task::corrupt(const Example&, Rng&) const {
  throw Error("task '" + name() +
              "' has no counterfactual corruption, so activation and path patching cannot pair its inputs: "
              "run them on a task that defines one (count-unique, max-of-list-digits, count01)");
}

// ---- count-unique: the count moves by one ----

std::string CountUniqueTask::corruption() const { return "one symbol changed so that the count moves by one"; }

std::optional<Example> CountUniqueTask::corrupt(const Example& ex, Rng& rng) const {
  std::vector<int32_t> s(ex.seq.begin() + 1, ex.seq.begin() + 1 + N_);
  std::vector<int> times(size_t(V_), 0);
  for (int32_t x : s) ++times[size_t(x)];
  // Moves: (position, new symbol). Up: a repeated symbol becomes an unused
  // one. Down: a symbol seen once becomes another symbol of the string.
  std::vector<std::pair<int, int32_t>> moves;
  for (int i = 0; i < N_; ++i)
    for (int32_t y = 0; y < V_; ++y) {
      if (y == s[size_t(i)]) continue;
      const bool up = times[size_t(s[size_t(i)])] > 1 && times[size_t(y)] == 0;
      const bool down = times[size_t(s[size_t(i)])] == 1 && times[size_t(y)] > 0;
      if (up || down) moves.push_back({i, y});
    }
  if (moves.empty()) return std::nullopt;
  const auto [i, y] = moves[rng.below(uint32_t(moves.size()))];
  s[size_t(i)] = y;
  return make_example(s);
}

// ---- max-of-list-digits (1b): a digit of the maximum ----

std::string MaxOfListDigitsTask::corruption() const {
  return "the tens digit of the maximum changed so that the answer's tens digit changes";
}

std::optional<Example> MaxOfListDigitsTask::corrupt(const Example& ex, Rng& rng) const {
  const int k = cfg_.list_len;
  std::vector<int32_t> list(static_cast<size_t>(k));
  for (int j = 0; j < k; ++j) list[size_t(j)] = ex.seq[size_t(1 + 3 * j)] * 10 + ex.seq[size_t(2 + 3 * j)];
  const int at = int(std::max_element(list.begin(), list.end()) - list.begin());
  const int tens = list[size_t(at)] / 10;
  std::vector<int32_t> options;
  for (int t = 0; t < 10; ++t) {
    if (t == tens) continue;
    std::vector<int32_t> l = list;
    l[size_t(at)] = t * 10 + list[size_t(at)] % 10;
    if (*std::max_element(l.begin(), l.end()) / 10 != tens) options.push_back(l[size_t(at)]);
  }
  if (options.empty()) return std::nullopt;  // another number shares the maximum's tens digit 9
  list[size_t(at)] = options[rng.below(uint32_t(options.size()))];
  return make_example(list);
}

// ---- count01: one symbol flipped ----

std::string Count01Task::corruption() const { return "one 0 or 1 flipped so that the answer changes"; }

std::optional<Example> Count01Task::corrupt(const Example& ex, Rng& rng) const {
  std::vector<int32_t> s(ex.seq.begin(), ex.seq.begin() + ex.query_pos);
  std::vector<int> flips;
  for (int i = 0; i < int(s.size()); ++i) {
    if (s[size_t(i)] == 2) continue;
    std::vector<int32_t> t = s;
    t[size_t(i)] = 1 - t[size_t(i)];
    int ones = 0, zeros = 0;
    for (int32_t x : t) ones += x == 1, zeros += x == 0;
    if (ones == zeros && !cfg_.ties_as_4) continue;
    if ((ones > zeros ? kFive : kFour) != ex.answer) flips.push_back(i);
  }
  if (flips.empty()) return std::nullopt;
  const int i = flips[rng.below(uint32_t(flips.size()))];
  s[size_t(i)] = 1 - s[size_t(i)];
  return make_example(s);
}

// ---- pairs ----

CorruptedPairs corrupted_pairs(const Task& task, const Dataset& clean, uint64_t seed) {
  if (task.corruption().empty()) {  // Task::corrupt throws the message
    Rng none(seed);
    task.corrupt(Example{}, none);
  }
  Rng rng(seed, 16);
  CorruptedPairs p;
  p.clean.source = clean.source;
  p.corrupted.source = clean.source + ", corrupted (" + task.corruption() + ")";
  for (const Example& ex : clean.examples) {
    std::optional<Example> c = task.corrupt(ex, rng);
    if (!c) {
      ++p.skipped;
      continue;
    }
    p.clean.examples.push_back(ex);
    p.corrupted.examples.push_back(std::move(*c));
  }
  if (p.clean.examples.empty())
    throw Error("no example of '" + clean.source + "' has a corruption (" + task.corruption() +
                "): give more or other examples");
  return p;
}

}  // namespace hc
