#include "interp/invariance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "interp/cache.hpp"
#include "interp/value_norms.hpp"

namespace hc {

namespace {

constexpr int kInvarianceChunk = 128;            // inputs per forward: bounds the cache's memory
constexpr uint64_t kStream = 0x1a7a;   // RNG stream of the default families

// One compared quantity: a hook point (or the derived sorted pattern), per head or not.
struct Point {
  HookKey key;
  std::string name;
  bool per_head = false;
  bool derived = false;  // pattern_sorted: reported, not part of diverge/re-converge
};

std::vector<Point> points_of(int n_layers) {
  std::vector<Point> out;
  for (const HookKey& k : all_hook_keys(n_layers)) {
    const bool per_head = k.site == Site::q || k.site == Site::k || k.site == Site::v || k.site == Site::attn_scores ||
                          k.site == Site::pattern || k.site == Site::z || k.site == Site::result;
    out.push_back({k, hook_name(k), per_head, false});
    if (k.site == Site::pattern) out.push_back({k, hook_name(k) + "_sorted", true, true});
  }
  return out;
}

// The vector a point holds for input b at position p (head h when per head).
// Shapes (hooks.hpp) with Q = T: [B,T,F], [B,T,H,F] or [B,H,T,T] for scores/pattern.
std::vector<double> extract(const CachedPoint& cp, const Point& pt, int b, int p, int h) {
  const std::vector<int>& s = cp.shape;
  std::vector<double> out;
  if (pt.key.site == Site::attn_scores || pt.key.site == Site::pattern) {
    const int H = s[1], Q = s[2], T = s[3];
    const float* row = cp.data + ((size_t(b) * H + h) * Q + p) * T;
    // Masked keys (score -inf, weight 0) are the same for every member at one
    // position; counting them as 0 keeps the cosine finite.
    for (int j = 0; j < T; ++j) out.push_back(std::isfinite(row[j]) ? double(row[j]) : 0.0);
    if (pt.derived) std::sort(out.begin(), out.end(), std::greater<double>());
    return out;
  }
  if (s.size() == 3) {
    const float* row = cp.data + (size_t(b) * s[1] + p) * s[2];
    return std::vector<double>(row, row + s[2]);
  }
  const float* row = cp.data + ((size_t(b) * s[1] + p) * s[2] + h) * s[3];
  return std::vector<double>(row, row + s[3]);
}

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa == 0 && bb == 0) return 1.0;  // both silent: identical
  if (aa == 0 || bb == 0) return 0.0;
  return std::clamp(ab / std::sqrt(aa * bb), -1.0, 1.0);
}

struct Acc {
  double sum = 0, min = std::numeric_limits<double>::infinity();
  long n = 0;
  double mean() const { return n ? sum / double(n) : 1.0; }
};

// First index whose value is < threshold, then the first later one back >= threshold.
std::pair<int, int> diverge_reconverge(const std::vector<double>& v, double threshold) {
  int d = -1, r = -1;
  for (int i = 0; i < int(v.size()); ++i) {
    if (d < 0 && v[size_t(i)] < threshold) d = i;
    else if (d >= 0 && v[size_t(i)] >= threshold) {
      r = i;
      break;
    }
  }
  return {d, r};
}

nlohmann::json name_or_null(const std::vector<std::string>& names, int i) {
  return i < 0 ? nlohmann::json(nullptr) : nlohmann::json(names[size_t(i)]);
}

}  // namespace

std::vector<std::vector<Example>> default_families(const Task& task, int n_families, uint64_t seed) {
  if (n_families < 1)
    throw Error("invariance: " + std::to_string(n_families) + " families requested; ask for at least 1");
  Rng rng(seed, kStream);
  return task.invariance_families(n_families, rng);
}

std::vector<std::vector<Example>> load_families(const Task& task, const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<std::vector<Example>> out;
  std::vector<int> first_line, last_line;
  std::vector<Example> current;
  std::string line;
  int line_no = 0;
  auto close = [&] {
    if (current.empty()) return;
    out.push_back(std::move(current));
    current.clear();
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      close();
      continue;
    }
    if (current.empty()) first_line.push_back(line_no);
    try {
      current.push_back(task.parse(line, line_no));
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());
    }
    if (current.size() == 1) last_line.push_back(line_no);
    last_line.back() = line_no;
  }
  close();
  if (out.empty())
    throw Error(path + ": no families found (write one example per line in the text form, a blank line between "
                       "families)");
  for (size_t f = 0; f < out.size(); ++f) {
    const std::string where = path + ": family " + std::to_string(f + 1) + " (lines " +
                              std::to_string(first_line[f]) + "-" + std::to_string(last_line[f]) + ")";
    if (out[f].size() < 2)
      throw Error(where + " has a single input; a family needs at least 2 inputs with the same answer "
                          "(add some or delete it)");
    for (const Example& ex : out[f])
      if (ex.answer != out[f][0].answer)
        throw Error(where + " mixes the answers " + task.vocab()[size_t(out[f][0].answer)] + " and " +
                    task.vocab()[size_t(ex.answer)] +
                    "; every input of a family must have the same answer (split it with a blank line)");
  }
  return out;
}

InvarianceResult invariance(const Model<float>& model, const Task& task,
                            const std::vector<std::vector<Example>>& families, const std::string& source,
                            double threshold, int position) {
  const ModelConfig& c = model.config();
  const int T = c.n_ctx, H = c.n_heads;
  if (task.vocab_size() != c.d_vocab)
    throw Error("invariance: the task '" + task.name() + "' has " + std::to_string(task.vocab_size()) +
                " tokens but the model's vocabulary is " + std::to_string(c.d_vocab) +
                " (pass the task the model was trained on)");
  if (families.empty()) throw Error("invariance: no families given (" + source + "); give at least one family");
  if (position >= T)
    throw Error("invariance: position " + std::to_string(position) + " is outside the context (0.." +
                std::to_string(T - 1) + "); pass -1 for the query position");
  std::vector<const Example*> inputs;  // flattened; family f owns [offset[f], offset[f+1])
  std::vector<size_t> offset{0};
  for (size_t f = 0; f < families.size(); ++f) {
    const std::string where = "invariance: family " + std::to_string(f + 1) + " of " + source;
    if (families[f].size() < 2) throw Error(where + " has fewer than 2 inputs; nothing to compare");
    for (const Example& ex : families[f]) {
      if (ex.answer != families[f][0].answer)
        throw Error(where + " mixes the answers " + task.vocab().at(size_t(families[f][0].answer)) + " and " +
                    task.vocab().at(size_t(ex.answer)) + "; a family must share one answer (split it in two)");
      const int p = position < 0 ? ex.query_pos : position;
      if (p < 0 || p >= T || int(ex.seq.size()) < T)
        throw Error(where + ": an input has no position " + std::to_string(p) +
                    " (check that the families belong to this task)");
      inputs.push_back(&ex);
    }
    offset.push_back(inputs.size());
  }

  // features[point][head][input]: the compared vectors (head 0 only when not per head).
  const std::vector<Point> points = points_of(c.n_layers);
  std::vector<std::vector<std::vector<std::vector<double>>>> features(points.size());
  for (size_t i = 0; i < points.size(); ++i)
    features[i].assign(points[i].per_head ? size_t(H) : 1, std::vector<std::vector<double>>(inputs.size()));
  Activations<float> a;
  for (size_t start = 0; start < inputs.size(); start += kInvarianceChunk) {
    const int B = int(std::min<size_t>(kInvarianceChunk, inputs.size() - start));
    std::vector<int32_t> tokens(size_t(B) * T);  // [B,T]
    for (int b = 0; b < B; ++b) std::copy_n(inputs[start + size_t(b)]->seq.begin(), T, tokens.begin() + b * T);
    model.run_full(tokens.data(), B, nullptr, T, nullptr, a);  // all rows: Q = T at every layer
    for (size_t i = 0; i < points.size(); ++i) {
      const CachedPoint cp = cache_get(a, c, points[i].key);
      for (int b = 0; b < B; ++b) {
        const Example& ex = *inputs[start + size_t(b)];
        const int p = position < 0 ? ex.query_pos : position;
        for (size_t h = 0; h < features[i].size(); ++h)
          features[i][h][start + size_t(b)] = extract(cp, points[i], b, p, int(h));
      }
    }
  }

  // Pairwise cosines within each family, pooled over families.
  std::vector<std::vector<Acc>> acc(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    acc[i].resize(features[i].size());
    for (size_t h = 0; h < features[i].size(); ++h)
      for (size_t f = 0; f + 1 < offset.size(); ++f)
        for (size_t x = offset[f]; x < offset[f + 1]; ++x)
          for (size_t y = x + 1; y < offset[f + 1]; ++y) {
            const double cs = cosine(features[i][h][x], features[i][h][y]);
            acc[i][h].sum += cs;
            acc[i][h].min = std::min(acc[i][h].min, cs);
            acc[i][h].n += 1;
          }
  }

  const std::string dataset = source + " (" + std::to_string(families.size()) + " families, " +
                              std::to_string(inputs.size()) + " inputs)";
  Table t;
  t.name = "invariance";
  t.description = "per hook point (and head): mean and min cosine similarity between members of a family at the "
                  "query position";
  t.dataset = dataset;
  t.columns = {"point", "layer", "head", "mean_cosine", "min_cosine", "n_pairs"};
  nlohmann::json pts = nlohmann::json::object();
  std::vector<std::string> seq_names;                        // non-derived points, forward order
  std::vector<double> seq_mean;                              // point-level mean (min over heads)
  std::vector<std::vector<std::string>> seq_low_heads;
  for (size_t i = 0; i < points.size(); ++i) {
    const Point& pt = points[i];
    nlohmann::json pj;
    double mean = 1.0, mn = 1.0;
    std::vector<std::string> low;
    for (size_t h = 0; h < acc[i].size(); ++h) {
      const Acc& ah = acc[i][h];
      const double hmin = ah.n ? ah.min : 1.0;
      t.add_row({pt.name, pt.key.layer, pt.per_head ? head_label(c, pt.key.layer, int(h)) : "", ah.mean(), hmin,
                 ah.n});
      mean = h == 0 ? ah.mean() : std::min(mean, ah.mean());
      mn = h == 0 ? hmin : std::min(mn, hmin);
      if (pt.per_head) {
        pj["heads"][head_label(c, pt.key.layer, int(h))] = {{"mean", ah.mean()}, {"min", hmin}};
        if (ah.mean() < threshold) low.push_back(head_label(c, pt.key.layer, int(h)));
      }
    }
    pj["mean"] = mean;
    pj["min"] = mn;
    pts[pt.name] = pj;
    if (pt.derived) continue;
    seq_names.push_back(pt.name);
    seq_mean.push_back(mean);
    seq_low_heads.push_back(low);
  }

  const auto [d, r] = diverge_reconverge(seq_mean, threshold);
  std::string text;
  if (d < 0) {
    text = "never diverges (every point's mean cosine >= " + std::to_string(threshold) + ")";
  } else {
    text = "diverges at " + seq_names[size_t(d)];
    const auto& low = seq_low_heads[size_t(d)];
    for (size_t k = 0; k < low.size(); ++k) text += (k == 0 ? " (" : ", ") + low[k] + (k + 1 == low.size() ? ")" : "");
    text += r < 0 ? ", does not re-converge" : ", re-converges at " + seq_names[size_t(r)];
  }
  nlohmann::json heads = nlohmann::json::object();
  for (int l = 0; l < c.n_layers; ++l)
    for (int h = 0; h < H; ++h) {
      // One head's path: the shared points plus its own per-head points
      // (other heads' and other layers' per-head points are skipped).
      std::vector<double> s;
      std::vector<std::string> names;
      for (size_t i = 0, k = 0; i < points.size(); ++i) {
        if (points[i].derived) continue;
        if (!points[i].per_head) {
          s.push_back(seq_mean[k]);
          names.push_back(points[i].name);
        } else if (points[i].key.layer == l) {
          s.push_back(acc[i][size_t(h)].mean());
          names.push_back(points[i].name);
        }
        ++k;
      }
      const auto [hd, hr] = diverge_reconverge(s, threshold);
      heads[head_label(c, l, h)] = {{"diverges_at", name_or_null(names, hd)},
                                    {"reconverges_at", name_or_null(names, hr)}};
    }

  long n_pairs = 0;
  for (size_t f = 0; f + 1 < offset.size(); ++f) {
    const long m = long(offset[f + 1] - offset[f]);
    n_pairs += m * (m - 1) / 2;
  }
  InvarianceResult res;
  res.summary = {{"threshold", threshold},
                 {"dataset", dataset},
                 {"n_families", families.size()},
                 {"n_inputs", inputs.size()},
                 {"n_pairs", n_pairs},
                 {"diverges_at", name_or_null(seq_names, d)},
                 {"diverged_heads", d < 0 ? nlohmann::json::array() : nlohmann::json(seq_low_heads[size_t(d)])},
                 {"reconverges_at", name_or_null(seq_names, r)},
                 {"text", text},
                 {"points", pts},
                 {"heads", heads}};
  res.tables.push_back(std::move(t));
  return res;
}

}  // namespace hc
