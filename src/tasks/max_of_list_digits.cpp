#include "tasks/max_of_list_digits.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tasks/registry.hpp"
#include "tasks/text_tokens.hpp"

namespace hc {

namespace {

const char* kDigitsShape = "BOS t o SEP t o .. SEP t o ANS t o EOS";

bool is_digit_token(std::string_view t) { return t.size() == 1 && t[0] >= '0' && t[0] <= '9'; }

std::string two_digits(int v) { return std::to_string(v / 10) + " " + std::to_string(v % 10); }

}  // namespace

MaxOfListDigitsTask::MaxOfListDigitsTask(const TaskConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  if (cfg_.name != "max-of-list-digits")
    throw Error("MaxOfListDigitsTask needs a max-of-list-digits config, got '" + cfg_.name + "' (use make_task)");
  for (int i = 0; i < 10; ++i) vocab_.push_back(std::to_string(i));
  for (const char* s : {"BOS", "SEP", "ANS", "EOS"}) vocab_.push_back(s);
}

Split MaxOfListDigitsTask::split_of_list(const std::vector<int32_t>& list) const {
  return hash_tokens(list.begin(), list.end()) % uint64_t(cfg_.test_mod) == 0 ? Split::Test : Split::Train;
}

Split MaxOfListDigitsTask::split_of(const Example& ex) const {
  const int k = cfg_.list_len;
  if (int(ex.seq.size()) < 3 * k + 4)
    throw Error("max-of-list-digits: an example needs " + std::to_string(3 * k + 4) + " tokens, got " +
                std::to_string(ex.seq.size()));
  std::vector<int32_t> list(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) list[size_t(i)] = 10 * ex.seq[size_t(3 * i + 1)] + ex.seq[size_t(3 * i + 2)];
  return split_of_list(list);
}

Example MaxOfListDigitsTask::make_example(const std::vector<int32_t>& list) const {
  const int k = cfg_.list_len;
  if (int(list.size()) != k)
    throw Error("max-of-list-digits: a list needs " + std::to_string(k) + " numbers, got " +
                std::to_string(list.size()));
  Example ex;
  ex.seq.reserve(size_t(3 * k + 4));
  ex.seq.push_back(kBos);
  for (int i = 0; i < k; ++i) {
    const int32_t v = list[size_t(i)];
    if (v < 0 || v >= kRange)
      throw Error("max-of-list-digits: number " + std::to_string(v) + " is outside 0..99");
    if (i > 0) ex.seq.push_back(kSep);
    ex.seq.push_back(v / 10);
    ex.seq.push_back(v % 10);
  }
  const int32_t m = *std::max_element(list.begin(), list.end());
  ex.seq.push_back(kAns);
  ex.seq.push_back(m / 10);
  ex.seq.push_back(m % 10);
  ex.seq.push_back(kEos);
  ex.answer = m / 10;
  ex.query_pos = 3 * k;
  ex.loss_pos = {3 * k, 3 * k + 1, 3 * k + 2};  // ANS -> mt, mt -> mo, mo -> EOS
  return ex;
}

// As max-of-list: uniform among the lists whose maximum is exactly m, by
// rejection; about 100 / k tries at worst.
Example MaxOfListDigitsTask::sample(Rng& rng, Split split) const {
  std::vector<int32_t> list(static_cast<size_t>(cfg_.list_len));
  const bool may_stratify = split == Split::Train && cfg_.stratified > 0.0;
  for (int64_t tries = 0; tries < kMaxSplitRejections; ++tries) {
    if (may_stratify && rng.uniform() < cfg_.stratified) {
      const int32_t m = int32_t(rng.below(kRange));
      for (bool hit = false; !hit;)
        for (auto& x : list) {
          x = int32_t(rng.below(uint32_t(m) + 1));
          hit |= x == m;
        }
    } else {
      for (auto& x : list) x = int32_t(rng.below(kRange));
    }
    if (split_of_list(list) == split) return make_example(list);
  }
  throw Error(std::string("max-of-list-digits: could not draw a ") + (split == Split::Test ? "test" : "train") +
              " list in " + std::to_string(kMaxSplitRejections) + " tries; use another test_mod");
}

std::string MaxOfListDigitsTask::format(const Example& ex) const {
  return format_tokens("max-of-list-digits", vocab_, ex.seq, size_t(3 * cfg_.list_len + 4));
}

// Read number by number, so that a digit pair that is not two digits is
// named as such rather than as a shifted position.
Example MaxOfListDigitsTask::parse(std::string_view line, int line_no) const {
  const int k = cfg_.list_len;
  const auto toks = split_tokens(line);
  if (toks.empty()) line_error(line_no, std::string("empty line (expected ") + kDigitsShape + ")");
  for (auto t : toks) {
    if (is_digit_token(t) || t == "BOS" || t == "SEP" || t == "ANS" || t == "EOS") continue;
    const bool number = t.find_first_not_of("0123456789") == std::string_view::npos;
    if (number && t.size() == 2)
      line_error(line_no, "'" + std::string(t) + "' is not a token: write each number as two digit tokens (" +
                              std::string(1, t[0]) + " " + std::string(1, t[1]) + ")");
    line_error(line_no, "unknown token '" + std::string(t) + "' (tokens are the digits 0..9, BOS, SEP, ANS, EOS)");
  }
  if (toks[0] != "BOS") line_error(line_no, "position 0 should be BOS, found " + std::string(toks[0]));
  size_t i = 1;
  // One number: two digit tokens, read from position i.
  auto read_number = [&](const std::string& what) {
    size_t n = 0;
    while (i + n < toks.size() && is_digit_token(toks[i + n])) ++n;
    if (n != 2) {
      const std::string end = i + n < toks.size() ? "before " + std::string(toks[i + n]) : "at the end of the line";
      line_error(line_no, what + " at position " + std::to_string(i) + " has " + std::to_string(n) + " digit" +
                              (n == 1 ? "" : "s") + " " + end +
                              ": each number is two digits, tens then ones, zero-padded (7 is 0 7)");
    }
    const int32_t v = int32_t(10 * (toks[i][0] - '0') + (toks[i + 1][0] - '0'));
    i += 2;
    return v;
  };
  auto expect = [&](const char* tok) {
    if (i >= toks.size())
      line_error(line_no, std::string("the line ends where ") + tok + " should be (expected " + kDigitsShape + " with " +
                              std::to_string(k) + " numbers)");
    if (toks[i] != tok)
      line_error(line_no, "position " + std::to_string(i) + " should be " + tok + ", found " + std::string(toks[i]) +
                              " (expected " + std::to_string(k) + " numbers: " + kDigitsShape + ")");
    ++i;
  };
  std::vector<int32_t> list;
  for (int n = 0; n < k; ++n) {
    if (n > 0) expect("SEP");
    list.push_back(read_number("number " + std::to_string(n + 1)));
  }
  expect("ANS");
  const int32_t said = read_number("the answer");
  expect("EOS");
  if (i != toks.size())
    line_error(line_no, std::to_string(toks.size() - i) + " extra token(s) after EOS (the line must end with EOS)");
  Example ex = make_example(list);
  const int32_t m = *std::max_element(list.begin(), list.end());
  if (said != m) {
    std::string shown;
    for (int32_t v : list) shown += (shown.empty() ? "" : ", ") + std::to_string(v);
    line_error(line_no, "wrong answer: the maximum of [" + shown + "] is " + two_digits(m) + ", the line says " +
                            two_digits(said));
  }
  return ex;
}

KeyTarget MaxOfListDigitsTask::key_target() const {
  return {KeyTarget::Kind::answer_token, {}, "digit positions holding the maximum's tens digit"};
}

std::vector<AccuracyPart> MaxOfListDigitsTask::accuracy_parts() const {
  return {{"tens_digit", 0, 0}, {"ones_digit", 0, 0}};
}

void MaxOfListDigitsTask::score_parts(const Example& ex, const int32_t* pred, std::vector<AccuracyPart>& parts) const {
  const size_t q = size_t(ex.query_pos);
  for (int d = 0; d < 2; ++d) {
    parts[size_t(d)].n += 1;
    parts[size_t(d)].correct += pred[d] == ex.seq[q + 1 + size_t(d)];
  }
}

Recipe MaxOfListDigitsTask::recipe() const {
  Recipe r;  // D 64, H 4, E 16, learned positions, no biases, AdamW 1e-3 / 0.01, batch 512, 20,000 steps
  r.n_layers = 2;
  return r;
}

// The options of puzzle 1b (TASKS.md), registered in tasks/registry.cpp.
// --list-len is shared with max-of-list (one flag, each task's own range).
std::vector<TaskOption> max_of_list_digits_options() {
  return {
      // 3k + 3 <= 4096, the bound on n_ctx the other tasks keep.
      field_option(option_spec("list-len", OptionType::Int, 1, 1364, "Max-of-List: numbers per list k"), &TaskConfig::list_len, 5),
      field_option(option_spec("stratified", OptionType::Float, 0, 1, "Max-of-List: share of training lists drawn stratified",
                       "it is the share of training lists drawn stratified by their maximum"),
                   &TaskConfig::stratified, 0.5, /*flag=*/false),
      field_option(option_spec("test-mod", OptionType::Int, 2, 2147483647, "A list is held out iff hash % test-mod == 0",
                       "a list is held out iff hash % test-mod == 0"),
                   &TaskConfig::test_mod, 10, /*flag=*/false),
  };
}

std::unique_ptr<Task> make_max_of_list_digits_task(const TaskConfig& c) {
  return std::make_unique<MaxOfListDigitsTask>(c);
}

}  // namespace hc
