#include "tasks/count01.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tasks/registry.hpp"
#include "tasks/text_tokens.hpp"

namespace hc {

namespace {

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

Count01Task::Count01Task(const TaskConfig& cfg)
    : cfg_(cfg), vocab_{"0", "1", "2", "=", "4", "5", "EOS", "PAD"} {
  cfg_.validate();
  if (cfg_.name != "count01")
    throw Error("Count01Task needs a count01 config, got '" + cfg_.name + "' (use make_task)");
  for (int i = 0; i < int(vocab_.size()); ++i) ids_[vocab_[i]] = i;
  counting_ = {0, 1, 2, kEq, kFour, kFive, kEos, cfg_.min_len, cfg_.max_len, cfg_.noise > 0.0, cfg_.ties_as_4,
               [this](const std::vector<int32_t>& s) { return make_example(s); }};

  // Short strings are few, so the hash split may leave one side without any
  // valid string and rejection sampling would never end. Enumerate small
  // spaces (alphabet {0,1} when there is no noise) to know.
  const int A = cfg_.noise > 0.0 ? 3 : 2;
  double space = 0.0, an = 1.0;
  for (int n = 1; n <= cfg_.max_len && space <= double(1 << 20); ++n) {
    an *= A;
    if (n >= cfg_.min_len) space += an;
  }
  if (space > double(1 << 20)) return;
  bool seen[2] = {false, false};
  for (int n = cfg_.min_len; n <= cfg_.max_len; ++n) {
    std::vector<int32_t> s(static_cast<size_t>(n), 0);
    while (true) {
      int d = 0;
      for (int32_t x : s) d += (x == 1) - (x == 0);
      if (d != 0 || cfg_.ties_as_4) seen[int(split_of_string(s))] = true;
      int i = 0;  // odometer over all A^n strings
      while (i < n && ++s[size_t(i)] == A) s[size_t(i++)] = 0;
      if (i == n) break;
    }
  }
  split_empty_[0] = !seen[0];
  split_empty_[1] = !seen[1];
}

Split Count01Task::split_of_string(const std::vector<int32_t>& symbols) const {
  return hash_tokens(symbols.begin(), symbols.end()) % uint64_t(cfg_.test_mod) == 0
             ? Split::Test
             : Split::Train;
}

Split Count01Task::split_of(const Example& ex) const {
  std::vector<int32_t> s;
  for (int32_t t : ex.seq) {
    if (t == kEq) return split_of_string(s);
    s.push_back(t);
  }
  throw Error("count01: the example has no '=' token");
}

Example Count01Task::make_example(const std::vector<int32_t>& symbols) const {
  const int n = int(symbols.size());
  if (n < cfg_.min_len || n > cfg_.max_len)
    throw Error("count01: a string of " + std::to_string(n) + " symbols is outside [" +
                std::to_string(cfg_.min_len) + ", " + std::to_string(cfg_.max_len) +
                "] (--min-len, --max-len)");
  int ones = 0, zeros = 0;
  for (int32_t x : symbols) {
    if (x < 0 || x > 2) throw Error("count01: symbol " + std::to_string(x) + " is not 0, 1 or 2");
    ones += x == 1;
    zeros += x == 0;
  }
  if (ones == zeros && !cfg_.ties_as_4)
    throw Error("count01: a tie (" + plural(ones, "one") + " and " + plural(zeros, "zero") +
                ") is excluded unless --ties-as-4 is given");
  Example ex;
  ex.seq = symbols;
  ex.answer = ones > zeros ? kFive : kFour;
  ex.seq.push_back(kEq);
  ex.seq.push_back(ex.answer);
  ex.seq.push_back(kEos);
  ex.seq.resize(size_t(n_ctx() + 1), kPad);  // T+1 = max_len + 3
  ex.query_pos = n;
  ex.loss_pos = {n, n + 1};  // '=' -> answer, answer -> EOS
  return ex;
}

Example Count01Task::sample(Rng& rng, Split split) const {
  const char* which = split == Split::Test ? "test" : "train";
  if (split_empty_[int(split)])
    throw Error(std::string("count01: no string of length ") + std::to_string(cfg_.min_len) +
                ".." + std::to_string(cfg_.max_len) + " falls in the " + which +
                " split (hash % " + std::to_string(cfg_.test_mod) +
                "); use a larger --max-len or another --test-mod");
  std::vector<int32_t> s;
  for (int64_t tries = 0; tries < kMaxSplitRejections; ++tries) {
    const int n = rng.range(cfg_.min_len, cfg_.max_len);
    s.resize(size_t(n));
    int d = 0;  // #1 - #0
    for (auto& x : s) {
      x = rng.uniform() < cfg_.noise ? 2 : int32_t(rng.below(2));
      d += (x == 1) - (x == 0);
    }
    if (d == 0 && !cfg_.ties_as_4) continue;
    if (split_of_string(s) == split) return make_example(s);
  }
  throw Error(std::string("count01: could not draw a ") + which + " string in " +
              std::to_string(kMaxSplitRejections) + " tries; use a smaller --noise or --test-mod");
}

std::string Count01Task::format(const Example& ex) const {
  std::string out;
  for (int32_t t : ex.seq) {
    if (t == kPad) break;
    if (t < 0 || t >= vocab_size())
      throw Error("count01: token id " + std::to_string(t) + " is outside the vocabulary");
    if (!out.empty()) out += ' ';
    out += vocab_[size_t(t)];
    if (t == kEos) break;
  }
  return out;
}

Example Count01Task::parse(std::string_view line, int line_no) const {
  static const char* kShape = "s1 .. sn = a EOS";
  const auto toks = split_tokens(line);
  if (toks.empty()) line_error(line_no, std::string("empty line (expected ") + kShape + ")");
  std::vector<int32_t> ids;
  ids.reserve(toks.size());
  for (size_t i = 0; i < toks.size(); ++i) {
    auto it = ids_.find(std::string(toks[i]));
    if (it == ids_.end())
      line_error(line_no, "unknown token '" + std::string(toks[i]) +
                              "' (tokens are 0, 1, 2, =, 4, 5, EOS)");
    if (it->second == kPad)
      line_error(line_no, "PAD at position " + std::to_string(i) +
                              ": padding is omitted in the text form");
    ids.push_back(it->second);
  }
  int n = -1;
  for (size_t i = 0; i < ids.size() && n < 0; ++i)
    if (ids[i] == kEq) n = int(i);
  if (n < 0) line_error(line_no, std::string("missing '=' (expected ") + kShape + ")");
  int ones = 0, zeros = 0;
  for (int i = 0; i < n; ++i) {
    if (ids[size_t(i)] > 2)
      line_error(line_no, "position " + std::to_string(i) + " is '" + std::string(toks[size_t(i)]) +
                              "', but only 0, 1 and 2 may come before '='");
    ones += ids[size_t(i)] == 1;
    zeros += ids[size_t(i)] == 0;
  }
  const size_t m = size_t(n);
  if (ids.size() <= m + 1)
    line_error(line_no, "missing the answer after '=' (expected 4 or 5, then EOS)");
  if (ids[m + 1] != kFour && ids[m + 1] != kFive)
    line_error(line_no, "position " + std::to_string(m + 1) + " should be the answer 4 or 5, found " +
                            std::string(toks[m + 1]));
  if (ids.size() <= m + 2) line_error(line_no, "missing EOS after the answer");
  if (ids[m + 2] != kEos)
    line_error(line_no, "position " + std::to_string(m + 2) + " should be EOS, found " +
                            std::string(toks[m + 2]));
  if (ids.size() > m + 3)
    line_error(line_no, std::to_string(ids.size() - m - 3) +
                            " extra token(s) after EOS (the line must end with EOS)");
  if (n < cfg_.min_len || n > cfg_.max_len)
    line_error(line_no, "the string has " + plural(n, "symbol") + ", outside the lengths [" +
                            std::to_string(cfg_.min_len) + ", " + std::to_string(cfg_.max_len) +
                            "] (--min-len, --max-len)");
  const std::string counts = plural(ones, "one") + " and " + plural(zeros, "zero");
  if (ones == zeros && !cfg_.ties_as_4)
    line_error(line_no, counts +
                            ": the string has as many 1s as 0s; ties are excluded (use "
                            "--ties-as-4 to allow them)");
  const int answer = ones > zeros ? kFive : kFour;
  if (ids[m + 1] != answer)
    line_error(line_no, "wrong answer: " + counts + " gives " + vocab_[size_t(answer)] +
                            ", the line says " + std::string(toks[m + 1]));
  return make_example(std::vector<int32_t>(ids.begin(), ids.begin() + n));
}

// The options of Count01 (TASKS.md), registered in tasks/registry.cpp.
std::vector<TaskOption> count01_options() {
  OptionSpec noise = option_spec("noise", OptionType::Float, 0, 1, "Count01: probability of the noise symbol 2",
                         "it is the probability of the noise symbol 2, and 1 would leave no 0s or 1s");
  noise.max_open = true;
  noise.default_text = "1/3";
  OptionSpec ties = option_spec("ties-as-4", OptionType::Bool, 0, 0, "Count01: keep ties and label them 4");
  ties.default_text = "false: ties are excluded";
  return {
      field_option(option_spec("min-len", OptionType::Int, 1, 4096, "Count01: shortest string"), &TaskConfig::min_len, 1),
      field_option(option_spec("max-len", OptionType::Int, 1, 4096, "Count01: longest string"), &TaskConfig::max_len, 20),
      field_option(noise, &TaskConfig::noise, 1.0 / 3.0),
      field_option(ties, &TaskConfig::ties_as_4, false),
      field_option(option_spec("test-mod", OptionType::Int, 2, 2147483647, "A string is held out iff hash % test-mod == 0",
                       "a string is held out iff hash % test-mod == 0"),
                   &TaskConfig::test_mod, 10, /*flag=*/false),
  };
}

void check_count01_config(const TaskConfig& c) {
  if (c.min_len > c.max_len)
    throw Error("--min-len (" + std::to_string(c.min_len) + ") must not exceed --max-len (" +
                std::to_string(c.max_len) + ")");
}

std::unique_ptr<Task> make_count01_task(const TaskConfig& c) { return std::make_unique<Count01Task>(c); }

Recipe Count01Task::recipe() const {
  Recipe r;
  r.d_model = 32, r.n_heads = 16, r.d_head = 2;
  r.pos_embed = false, r.biases = false;
  r.steps = 3000, r.batch = 256;
  r.lr = 3e-3, r.weight_decay = 0.01;
  r.eval_every = 250, r.eval_size = 4000;
  return r;
}

std::vector<int> Count01Task::number_tokens() const { return {0, 1, 2}; }

KeyTarget Count01Task::key_target() const { return {KeyTarget::Kind::tokens, {0, 1}, "tokens 0 and 1"}; }

AttentionClasses Count01Task::attention_classes() const {
  // By token: the target (0 and 1) is split into its two tokens.
  AttentionClasses c;
  c.names = {"0", "1", "2", "="};
  c.token_class.assign(size_t(vocab_size()), -1);
  for (int k = 0; k < 4; ++k) c.token_class[size_t(k)] = k;  // ids 0, 1, 2, 3 are `0`, `1`, `2`, `=`
  return c;
}

std::vector<std::vector<Example>> Count01Task::invariance_families(int n, Rng& rng) const {
  constexpr int kMembers = 6;  // shuffles per family
  std::vector<std::vector<Example>> out;
  for (int f = 0; f < n; ++f) {
    bool found = false;
    for (int attempt = 0; attempt < 1000 && !found; ++attempt) {
      const int len = rng.range(std::max(2, cfg_.min_len), cfg_.max_len);
      std::vector<int32_t> s(static_cast<size_t>(len));
      int diff = 0;
      for (auto& x : s) {
        x = rng.uniform() < cfg_.noise ? 2 : int32_t(rng.below(2));
        diff += (x == 1) - (x == 0);
      }
      if (diff == 0 && !cfg_.ties_as_4) continue;  // the task has no answer for a tie
      std::vector<std::vector<int32_t>> members{s};
      for (int t = 0; t < 10 * kMembers && int(members.size()) < kMembers; ++t) {
        std::vector<int32_t> p = s;
        for (size_t i = p.size() - 1; i > 0; --i) std::swap(p[i], p[rng.below(uint32_t(i + 1))]);
        if (std::find(members.begin(), members.end(), p) == members.end()) members.push_back(p);
      }
      if (members.size() < 2) continue;  // e.g. "1 1": every shuffle is the same string
      std::vector<Example> family;
      for (const auto& m : members) family.push_back(make_example(m));
      out.push_back(std::move(family));
      found = true;
    }
    if (!found)
      throw Error("invariance: could not draw a Count01 string with two distinct orderings (max_len " +
                  std::to_string(cfg_.max_len) + "); use max_len >= 3 or give families with a file");
  }
  return out;
}

}  // namespace hc
