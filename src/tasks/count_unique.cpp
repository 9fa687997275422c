#include "tasks/count_unique.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <tuple>

#include "core/error.hpp"
#include "tasks/registry.hpp"
#include "tasks/text_tokens.hpp"

namespace hc {

namespace {

// A stratum is enumerated (and split by hash rank) when walking it costs at
// most this many steps: C(V, k) subsets times k^N maps.
constexpr double kEnumerateWork = double(1 << 22);

long double choose(int n, int k) {
  long double r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

// Maps from N positions onto k symbols that use every symbol (inclusion-exclusion).
long double surjections(int N, int k) {
  long double s = 0;
  for (int j = 0; j <= k; ++j) s += ((j % 2) ? -1 : 1) * choose(k, j) * std::pow((long double)(k - j), N);
  return std::max<long double>(0, std::round(s));
}

std::string with_commas(long double v) {
  std::string d = std::to_string((long long)std::llround(v));
  for (int i = int(d.size()) - 3; i > 0; i -= 3) d.insert(size_t(i), ",");
  return d;
}

std::string symbol_name(int i) { return std::string(1, char('a' + i)); }

}  // namespace

CountUniqueTask::CountUniqueTask(const TaskConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  if (cfg_.name != "count-unique")
    throw Error("CountUniqueTask needs a count-unique config, got '" + cfg_.name + "' (use make_task)");
  N_ = cfg_.seq_len, V_ = cfg_.alphabet;
  for (int i = 0; i < V_; ++i) vocab_.push_back(symbol_name(i));
  vocab_.push_back("BOS");
  vocab_.push_back("ANS");
  for (int k = 1; k <= N_; ++k) vocab_.push_back("#" + std::to_string(k));
  for (int i = 0; i < int(vocab_.size()); ++i) ids_[vocab_[size_t(i)]] = i;

  // The strata depend only on (N, V, test_mod); tasks are made often (every
  // default config), so each is worked out once per process.
  static std::mutex mutex;
  static std::map<std::tuple<int, int, int>, std::vector<Stratum>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& strata = cache[{N_, V_, cfg_.test_mod}];
  if (strata.empty()) {
    for (int k = 1; k <= max_count(); ++k) {
      Stratum s;
      s.strings = double(choose(V_, k) * surjections(N_, k));
      if (double(choose(V_, k)) * std::pow(double(k), N_) <= kEnumerateWork) {
        // Every string with exactly k distinct symbols: a k-subset, then an
        // onto map from the N positions to it.
        std::vector<uint64_t> hashes;
        std::vector<int> subset(static_cast<size_t>(k));
        for (int i = 0; i < k; ++i) subset[size_t(i)] = i;
        std::vector<int> map(static_cast<size_t>(N_), 0), used(static_cast<size_t>(k));
        std::vector<int32_t> str(static_cast<size_t>(N_));
        while (true) {
          std::fill(map.begin(), map.end(), 0);
          while (true) {
            std::fill(used.begin(), used.end(), 0);
            for (int x : map) used[size_t(x)] = 1;
            if (std::all_of(used.begin(), used.end(), [](int u) { return u != 0; })) {
              for (int p = 0; p < N_; ++p) str[size_t(p)] = subset[size_t(map[size_t(p)])];
              hashes.push_back(hash_tokens(str.begin(), str.end()));
            }
            int p = 0;  // odometer over the k^N maps
            while (p < N_ && ++map[size_t(p)] == k) map[size_t(p++)] = 0;
            if (p == N_) break;
          }
          int i = k - 1;  // next k-subset of 0..V-1, in lexicographic order
          while (i >= 0 && subset[size_t(i)] == V_ - k + i) --i;
          if (i < 0) break;
          ++subset[size_t(i)];
          for (int j = i + 1; j < k; ++j) subset[size_t(j)] = subset[size_t(j - 1)] + 1;
        }
        std::sort(hashes.begin(), hashes.end());
        const int64_t n = int64_t(hashes.size());  // >= 2: V >= 2 symbols, N >= 2 positions
        if (n < 2) throw Error("count-unique: count " + std::to_string(k) + " has fewer than two strings to split");
        s.enumerated = true;
        s.n_test = std::clamp<int64_t>(std::llround(double(n) / cfg_.test_mod), 1, n - 1);
        s.n_train = n - s.n_test;
        s.test_max_hash = hashes[size_t(s.n_test - 1)];
      }
      strata.push_back(s);
    }
  }
  strata_ = strata;

  // Training draws weigh count k as the puzzle's fixed data set does: it makes
  // kPuzzlePerCount strings per count, deduplicated (count 1 has only V), and
  // trains on the rest after the split. So a count with few strings is rare in
  // training (count 1: 9 of about 81,000), not a tenth of every batch, where its
  // few strings are learned one by one instead of by a rule that carries to
  // the held-out one. Held-out draws stay uniform over counts (accuracy per count).
  constexpr double kPuzzlePerCount = 10000;
  double total = 0;
  for (const Stratum& st : strata_) {
    const double train = st.enumerated ? double(st.n_train) : st.strings * (1.0 - 1.0 / cfg_.test_mod);
    total += std::min(train, kPuzzlePerCount * (1.0 - 1.0 / cfg_.test_mod));
    train_cdf_.push_back(total);
  }
  for (double& c : train_cdf_) c /= total;
}

int CountUniqueTask::count_of(const std::vector<int32_t>& symbols) const {
  uint32_t seen = 0;
  for (int32_t x : symbols) seen |= 1u << x;
  return __builtin_popcount(seen);
}

Split CountUniqueTask::split_of_string(const std::vector<int32_t>& symbols) const {
  const uint64_t h = hash_tokens(symbols.begin(), symbols.end());
  const Stratum& s = strata_[size_t(count_of(symbols) - 1)];
  if (s.enumerated) return h <= s.test_max_hash ? Split::Test : Split::Train;
  return h % uint64_t(cfg_.test_mod) == 0 ? Split::Test : Split::Train;
}

Split CountUniqueTask::split_of(const Example& ex) const {
  if (int(ex.seq.size()) < N_ + 1) throw Error("count-unique: an example needs " + std::to_string(N_ + 2) + " tokens");
  return split_of_string(std::vector<int32_t>(ex.seq.begin() + 1, ex.seq.begin() + 1 + N_));
}

Example CountUniqueTask::make_example(const std::vector<int32_t>& symbols) const {
  if (int(symbols.size()) != N_)
    throw Error("count-unique: a string needs " + std::to_string(N_) + " symbols (--seq-len), got " +
                std::to_string(symbols.size()));
  for (int32_t x : symbols)
    if (x < 0 || x >= V_)
      throw Error("count-unique: symbol id " + std::to_string(x) + " is outside 0.." + std::to_string(V_ - 1));
  Example ex;
  ex.seq.reserve(size_t(N_ + 3));
  ex.seq.push_back(bos());
  ex.seq.insert(ex.seq.end(), symbols.begin(), symbols.end());
  ex.seq.push_back(ans());
  ex.answer = count_token(count_of(symbols));
  ex.seq.push_back(ex.answer);
  ex.query_pos = N_ + 1;
  ex.loss_pos = {N_ + 1};  // ANS -> #k
  return ex;
}

void CountUniqueTask::draw(Rng& rng, int k, std::vector<int32_t>& out) const {
  int32_t pool[32];
  for (int i = 0; i < V_; ++i) pool[i] = i;
  for (int i = 0; i < k; ++i) std::swap(pool[i], pool[i + int(rng.below(uint32_t(V_ - i)))]);  // k distinct
  out.resize(size_t(N_));
  for (int p = 0; p < N_; ++p) out[size_t(p)] = p < k ? pool[p] : pool[rng.below(uint32_t(k))];
  for (int p = N_ - 1; p > 0; --p) std::swap(out[size_t(p)], out[rng.below(uint32_t(p + 1))]);
}

Example CountUniqueTask::sample(Rng& rng, Split split) const {
  std::vector<int32_t> s;
  for (int64_t tries = 0; tries < kMaxSplitRejections; ++tries) {
    const int k = split == Split::Train
                      ? 1 + int(std::upper_bound(train_cdf_.begin(), train_cdf_.end() - 1, rng.uniform()) -
                                train_cdf_.begin())
                      : rng.range(1, max_count());
    draw(rng, k, s);
    if (split_of_string(s) == split) return make_example(s);
  }
  throw Error(std::string("count-unique: could not draw a ") + (split == Split::Test ? "test" : "train") +
              " string in " + std::to_string(kMaxSplitRejections) + " tries; use another test_mod");
}

std::string CountUniqueTask::format(const Example& ex) const {
  if (int(ex.seq.size()) < N_ + 3)
    throw Error("count-unique: cannot format an example of " + std::to_string(ex.seq.size()) + " tokens (need " +
                std::to_string(N_ + 3) + ")");
  std::string out;
  for (int i = 0; i < N_ + 3; ++i) {
    const int32_t t = ex.seq[size_t(i)];
    if (t < 0 || t >= vocab_size())
      throw Error("count-unique: token id " + std::to_string(t) + " is outside the vocabulary");
    if (i) out += ' ';
    out += vocab_[size_t(t)];
  }
  return out;
}

Example CountUniqueTask::parse(std::string_view line, int line_no) const {
  const std::string shape = "BOS t1 .. t" + std::to_string(N_) + " ANS #k";
  const std::string symbols = "the symbols are a.." + symbol_name(V_ - 1);
  const std::string counts = "#1..#" + std::to_string(N_);
  const auto toks = split_tokens(line);
  if (toks.empty()) line_error(line_no, "empty line (expected " + shape + ")");
  std::vector<int32_t> ids;
  for (auto t : toks) {
    auto it = ids_.find(std::string(t));
    if (it != ids_.end()) {
      ids.push_back(it->second);
      continue;
    }
    if (t.size() > 1 && t[0] == '#' && t.find_first_not_of("0123456789", 1) == std::string_view::npos)
      line_error(line_no, "count token '" + std::string(t) + "' is out of range: the counts are " + counts +
                              " (a string of " + std::to_string(N_) + " symbols)");
    line_error(line_no, "unknown token '" + std::string(t) + "' (" + symbols + ", then BOS, ANS and " + counts + ")");
  }
  if (int(ids.size()) != N_ + 3)
    line_error(line_no, "expected " + std::to_string(N_ + 3) + " tokens (" + shape + "), got " +
                            std::to_string(ids.size()));
  auto expect = [&](int pos, int id) {
    if (ids[size_t(pos)] != id)
      line_error(line_no, "position " + std::to_string(pos) + " should be " + vocab_[size_t(id)] + ", found " +
                              std::string(toks[size_t(pos)]));
  };
  expect(0, bos());
  std::vector<int32_t> str;
  for (int p = 1; p <= N_; ++p) {
    if (ids[size_t(p)] >= V_)
      line_error(line_no, "position " + std::to_string(p) + " should be a symbol (" + symbols + "), found " +
                              std::string(toks[size_t(p)]));
    str.push_back(ids[size_t(p)]);
  }
  expect(N_ + 1, ans());
  const int said = ids[size_t(N_ + 2)];
  if (said <= ans())
    line_error(line_no, "position " + std::to_string(N_ + 2) + " should be the count (" + counts + "), found " +
                            std::string(toks[size_t(N_ + 2)]));
  Example ex = make_example(str);
  if (said != ex.answer)
    line_error(line_no, "wrong answer: the string has " + std::to_string(count_of(str)) +
                            " distinct symbols, the line says " + std::string(toks[size_t(N_ + 2)]));
  return ex;
}

KeyTarget CountUniqueTask::key_target() const {
  std::vector<int> symbols;
  for (int i = 0; i < V_; ++i) symbols.push_back(i);
  return {KeyTarget::Kind::tokens, symbols, "the symbols"};
}

AttentionClasses CountUniqueTask::attention_classes() const {
  AttentionClasses c;
  c.names = {"symbol", "special"};
  c.token_class.assign(size_t(vocab_size()), 1);
  for (int i = 0; i < V_; ++i) c.token_class[size_t(i)] = 0;
  return c;
}

std::vector<std::vector<Example>> CountUniqueTask::invariance_families(int n, Rng& rng) const {
  constexpr int kMembers = 6;  // shuffles per family
  std::vector<std::vector<Example>> out;
  std::vector<int32_t> s;
  while (int(out.size()) < n) {
    const int k = rng.range(std::min(2, max_count()), max_count());
    draw(rng, k, s);
    std::vector<std::vector<int32_t>> members{s};
    for (int t = 0; t < 10 * kMembers && int(members.size()) < kMembers; ++t) {
      std::vector<int32_t> p = s;
      for (size_t i = p.size() - 1; i > 0; --i) std::swap(p[i], p[rng.below(uint32_t(i + 1))]);
      if (std::find(members.begin(), members.end(), p) == members.end()) members.push_back(p);
    }
    std::vector<Example> family;
    for (const auto& m : members) family.push_back(make_example(m));
    out.push_back(std::move(family));
  }
  return out;
}

std::vector<AccuracyPart> CountUniqueTask::accuracy_parts() const {
  std::vector<AccuracyPart> parts;
  for (int k = 1; k <= max_count(); ++k) parts.push_back({"count_" + std::to_string(k), 0, 0});
  return parts;
}

void CountUniqueTask::score_parts(const Example& ex, const int32_t* pred, std::vector<AccuracyPart>& parts) const {
  AccuracyPart& p = parts[size_t(ex.answer - count_token(1))];
  p.n += 1;
  p.correct += pred[0] == ex.answer;
}

std::vector<std::string> CountUniqueTask::split_sizes() const {
  std::vector<std::string> out;
  for (int k = 1; k <= max_count(); ++k) {
    const Stratum& s = strata_[size_t(k - 1)];
    std::string line = "count " + std::to_string(k) + ": " + with_commas(s.strings) + " distinct strings, ";
    if (s.enumerated)
      line += with_commas(s.n_test) + " held out and " + with_commas(s.n_train) + " for training (by hash rank)";
    else
      line += "about " + with_commas(s.strings / cfg_.test_mod) + " held out (hash % " + std::to_string(cfg_.test_mod) +
              " == 0), the rest for training";
    // The share of training draws (weighted as the puzzle's data set is; see
    // the constructor); held-out draws are uniform over counts.
    const double share = train_cdf_[size_t(k - 1)] - (k > 1 ? train_cdf_[size_t(k - 2)] : 0.0);
    char buf[64];
    std::snprintf(buf, sizeof buf, "; %.2f%% of training draws", 100.0 * share);
    line += buf;
    out.push_back(line);
  }
  return out;
}

Recipe CountUniqueTask::recipe() const {
  Recipe r;
  r.n_layers = 2;
  r.d_model = 32, r.n_heads = 4, r.d_head = 8;
  r.pos_embed = false, r.biases = false;
  r.steps = 40000, r.batch = 512;
  r.lr = 1e-3, r.weight_decay = 0.01;
  return r;
}

// The options of count-unique (TASKS.md), registered in tasks/registry.cpp.
std::vector<TaskOption> count_unique_options() {
  return {
      field_option(option_spec("seq-len", OptionType::Int, 2, 64, "count-unique: symbols per string N"), &TaskConfig::seq_len,
                   10),
      field_option(option_spec("alphabet", OptionType::Int, 2, 26, "count-unique: symbols a, b, .. available V"),
                   &TaskConfig::alphabet, 10),
      field_option(option_spec("test-mod", OptionType::Int, 2, 2147483647, "A string is held out iff hash % test-mod == 0",
                       "a string is held out iff hash % test-mod == 0 (strata small enough to list: by hash rank)"),
                   &TaskConfig::test_mod, 10, /*flag=*/false),
  };
}

std::unique_ptr<Task> make_count_unique_task(const TaskConfig& c) { return std::make_unique<CountUniqueTask>(c); }

}  // namespace hc
