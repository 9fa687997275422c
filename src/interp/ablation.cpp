#include "interp/ablation.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <map>
#include <stdexcept>

#include "core/chunked.hpp"
#include "core/error.hpp"
#include "interp/ablation_linear.hpp"

namespace hc {

std::string mode_name(AblationMode m) {
  switch (m) {
    case AblationMode::zero: return "zero";
    case AblationMode::mean: return "mean";
    case AblationMode::resample: return "resample";
  }
  return "?";
}

std::string head_key(const ModelConfig& c, int flat) {
  if (c.n_layers == 1) return std::to_string(flat);
  return "L" + std::to_string(flat / c.n_heads) + "H" + std::to_string(flat % c.n_heads);
}

std::string set_key(const ModelConfig& c, uint64_t mask) {
  std::string s;
  for (int f = 0; f < 64; ++f)
    if (mask >> f & 1) s += (s.empty() ? "" : ",") + head_key(c, f);
  return s;
}

namespace {

// Mean z over `reference`, at every position and at each example's query
// position. Chunks are summed in double and added in chunk order.
void compute_means(const Model<float>& model, const Dataset& reference, int threads, AblationRefs& r) {
  if (reference.examples.empty()) throw Error("mean ablation: the reference set '" + reference.source + "' is empty");
  const size_t N = reference.examples.size(), step = 256;
  const int n_chunks = int((N + step - 1) / step);
  const size_t n_pos = size_t(r.T) * r.H * r.E, n_q = size_t(r.H) * r.E;
  // Per chunk and layer: sums at every position [T,H,E] then at the query [H,E].
  std::vector<std::vector<double>> sums(size_t(n_chunks), std::vector<double>(size_t(r.L) * (n_pos + n_q), 0.0));
  threads = std::max(1, std::min(threads, n_chunks));
  for_each_job(int(n_chunks), threads, [&](int c) {
    const size_t b0 = size_t(c) * step, b1 = std::min(N, b0 + step);
    std::vector<int32_t> tokens;
    for (size_t i = b0; i < b1; ++i)
      tokens.insert(tokens.end(), reference.examples[i].seq.begin(), reference.examples[i].seq.begin() + r.T);
    Activations<float> a;
    model.run_full(tokens.data(), int(b1 - b0), nullptr, 0, nullptr, a);  // all positions in every layer
    for (int l = 0; l < r.L; ++l) {
      double* s = sums[size_t(c)].data() + size_t(l) * (n_pos + n_q);
      const float* z = a.layers[size_t(l)].z.data();  // [B,T,H,E]
      for (size_t i = b0; i < b1; ++i) {
        const float* zi = z + (i - b0) * n_pos;
        for (size_t k = 0; k < n_pos; ++k) s[k] += zi[k];
        const float* zq = zi + size_t(reference.examples[i].query_pos) * n_q;
        for (size_t k = 0; k < n_q; ++k) s[n_pos + k] += zq[k];
      }
    }
  });
  r.pos_mean.assign(size_t(r.L), std::vector<double>(n_pos, 0.0));
  r.query_mean.assign(size_t(r.L), std::vector<double>(n_q, 0.0));
  for (int l = 0; l < r.L; ++l) {
    for (int c = 0; c < n_chunks; ++c) {
      const double* s = sums[size_t(c)].data() + size_t(l) * (n_pos + n_q);
      for (size_t k = 0; k < n_pos; ++k) r.pos_mean[size_t(l)][k] += s[k];
      for (size_t k = 0; k < n_q; ++k) r.query_mean[size_t(l)][k] += s[n_pos + k];
    }
    for (double& v : r.pos_mean[size_t(l)]) v /= double(N);
    for (double& v : r.query_mean[size_t(l)]) v /= double(N);
  }
}

// Example i takes z from the next example with the same query position.
Dataset resample_sources(const Dataset& data) {
  std::map<int, std::vector<size_t>> groups;
  for (size_t i = 0; i < data.examples.size(); ++i) groups[data.examples[i].query_pos].push_back(i);
  Dataset src;
  src.source = "resample sources from " + data.source;
  src.examples.resize(data.examples.size());
  for (const auto& [pos, idx] : groups)
    for (size_t k = 0; k < idx.size(); ++k) src.examples[idx[k]] = data.examples[idx[(k + 1) % idx.size()]];
  return src;
}

}  // namespace

AblationRefs ablation_refs(const Model<float>& model, AblationMode mode, const Dataset& data,
                           const Dataset& reference, int threads) {
  const ModelConfig& c = model.config();
  AblationRefs r;
  r.mode = mode;
  r.L = c.n_layers;
  r.T = c.n_ctx;
  r.H = c.n_heads;
  r.E = c.d_head;
  if (mode == AblationMode::mean) compute_means(model, reference, threads, r);
  if (mode == AblationMode::resample) {
    const Dataset src = resample_sources(data);
    for (int l = 0; l < r.L; ++l)
      r.source.push_back(std::make_shared<const SourceActs>(capture_source(model, src, data, {Site::z, l}, threads)));
    r.n_target = data.examples.size();
  }
  return r;
}

const double* mean_replacement(const AblationRefs& refs, int layer, int head, int position, bool at_query) {
  if (at_query) return refs.query_mean[size_t(layer)].data() + size_t(head) * refs.E;
  return refs.pos_mean[size_t(layer)].data() + (size_t(position) * refs.H + head) * refs.E;
}

Setter ablation_setter(const Model<float>& model, std::shared_ptr<const AblationRefs> refs,
                       std::vector<uint64_t> masks) {
  const int L = model.config().n_layers, H = model.config().n_heads;
  for (uint64_t m : masks)
    if (L * H < 64 && (m >> (L * H)) != 0)
      throw Error("head set {" + set_key(model.config(), m) + "} names a head out of range: the model has " +
                  std::to_string(L * H) + " heads (0.." + std::to_string(L * H - 1) + ")");
  return [refs, masks = std::move(masks), L, H](int point, const Chunk& ch, Hooks<float>& hooks) {
    const uint64_t mask = masks[size_t(point)];
    if (refs->mode == AblationMode::resample && ch.data->examples.size() != refs->n_target)
      throw std::logic_error("ablation_setter: resample sources were captured for another data set");
    for (int l = 0; l < L; ++l) {
      const uint64_t heads = (mask >> (l * H)) & ((H >= 64) ? ~0ull : ((1ull << H) - 1));
      if (!heads) continue;
      hooks.add({Site::z, l}, [refs, heads, l, H, ch](HookView<float>& v) {
        const int B = v.shape[0], R = v.shape[1], E = v.shape[3];  // z [B,R,H,E]
        for (int b = 0; b < B; ++b)
          for (int r = 0; r < R; ++r) {
            const int pos = v.query_rows[size_t(b) * R + r];
            const bool at_query = pos == ch.example(b).query_pos;
            for (int h = 0; h < H; ++h) {
              if (!(heads >> h & 1)) continue;
              float* z = v.data + ((size_t(b) * R + r) * H + h) * E;
              if (refs->mode == AblationMode::zero) {
                std::fill_n(z, E, 0.0f);
              } else if (refs->mode == AblationMode::mean) {
                const double* m = mean_replacement(*refs, l, h, pos, at_query);
                for (int e = 0; e < E; ++e) z[e] = float(m[e]);
              } else {
                const SourceActs& s = *refs->source[size_t(l)];
                const float* from = s.values.data() + (ch.begin + size_t(b)) * s.per_example +
                                    ((size_t(r) * H) + h) * E;
                std::copy_n(from, E, z);
              }
            }
          }
      });
    }
  };
}

std::vector<std::vector<int>> functional_groups(const std::vector<std::vector<bool>>& pair_suffices) {
  const int n = int(pair_suffices.size());
  // Groups are the connected components of "this pair does not suffice"; the
  // grouping exists iff each component is a clique of that relation.
  std::vector<int> comp(size_t(n), -1);
  int n_comp = 0;
  for (int s = 0; s < n; ++s) {
    if (comp[size_t(s)] >= 0) continue;
    std::vector<int> stack = {s};
    comp[size_t(s)] = n_comp;
    while (!stack.empty()) {
      const int u = stack.back();
      stack.pop_back();
      for (int w = 0; w < n; ++w)
        if (w != u && comp[size_t(w)] < 0 && !pair_suffices[size_t(u)][size_t(w)]) {
          comp[size_t(w)] = n_comp;
          stack.push_back(w);
        }
    }
    ++n_comp;
  }
  if (n_comp < 2) return {};
  std::vector<std::vector<int>> groups(static_cast<size_t>(n_comp));
  for (int i = 0; i < n; ++i) groups[size_t(comp[size_t(i)])].push_back(i);
  for (const auto& g : groups)
    for (int a : g)
      for (int b : g)
        if (a != b && pair_suffices[size_t(a)][size_t(b)]) return {};
  return groups;
}

namespace {

Table make_table(const std::string& name, const std::string& description, const Dataset& data,
                 std::vector<std::string> columns) {
  Table t;
  t.name = name;
  t.description = description;
  t.dataset = data.source + " (" + std::to_string(data.examples.size()) + " examples)";
  t.columns = std::move(columns);
  return t;
}

}  // namespace

AblationResult ablation_study(const Model<float>& model, const Dataset& data, const AblationOptions& opt) {
  if (data.examples.empty()) throw Error("ablation: the evaluation set '" + data.source + "' holds no examples");
  const ModelConfig& c = model.config();
  const int n = c.n_layers * c.n_heads;
  if (n > 64) throw Error("ablation: the model has " + std::to_string(n) + " heads; at most 64 are supported");
  const uint64_t all = n == 64 ? ~0ull : (1ull << n) - 1;
  // The linear shortcut in the last layer (ablation_linear.hpp): one hooked
  // forward per set of ablated heads in the earlier layers, none for one layer.
  const bool linear = !opt.force_hooked;
  const int n_last = c.n_heads, shift = n - n_last;  // the last layer's heads are bits [shift, n)
  const uint64_t earlier_all = shift == 0 ? 0 : (1ull << shift) - 1;
  // Every subset: a Gray-code walk per earlier set (2^shift forwards), or 2^n
  // hooked forwards; either only while affordable.
  const bool subsets = n <= opt.max_subset_heads && (linear ? shift : n) <= 10;

  PatchOptions po;
  po.threads = opt.threads;
  const double full = clean_metric(model, data, po);
  const double threshold = opt.sufficient_fraction * full;
  AblationResult res;
  res.summary = {{"method", !linear ? "hooked" : shift == 0 ? "linear" : "linear_last_layer"},
                 {"full_accuracy", full},
                 {"threshold", threshold},
                 {"sufficient_fraction", opt.sufficient_fraction},
                 {"n_examples", data.examples.size()}};

  std::vector<uint64_t> singles, pairs, only, only_pairs;
  for (int i = 0; i < n; ++i) {
    singles.push_back(1ull << i);
    only.push_back(all ^ (1ull << i));
    for (int j = i + 1; j < n; ++j) {
      pairs.push_back((1ull << i) | (1ull << j));
      only_pairs.push_back(all ^ ((1ull << i) | (1ull << j)));
    }
  }

  for (AblationMode mode : opt.modes) {
    const std::string m = mode_name(mode);
    auto refs = std::make_shared<const AblationRefs>(ablation_refs(model, mode, data, data, opt.threads));
    // Contributions of the last layer's heads per set of ablated earlier heads,
    // kept while there are few (a 2-layer, 4-head model needs at most 16).
    std::map<uint64_t, LinearContribs> lcs;
    auto contribs = [&](uint64_t earlier) -> const LinearContribs& {
      auto it = lcs.find(earlier);
      if (it != lcs.end()) return it->second;
      if (lcs.size() >= 64) lcs.clear();
      return lcs.emplace(earlier, linear_contribs(model, data, *refs, opt.threads, earlier)).first->second;
    };
    auto eval = [&](const std::vector<uint64_t>& masks) {
      if (!linear) return patch_sweep(model, data, int(masks.size()), ablation_setter(model, refs, masks), po);
      std::vector<double> out(masks.size());
      std::map<uint64_t, std::vector<int>> by_earlier;  // earlier set -> indices into masks
      for (int k = 0; k < int(masks.size()); ++k) by_earlier[masks[size_t(k)] & earlier_all].push_back(k);
      for (const auto& group : by_earlier) {
        const std::vector<int>& idx = group.second;
        const LinearContribs& lc = contribs(group.first);
        for_each_job(int(idx.size()), std::max(1, opt.threads), [&](int j) {
          out[size_t(idx[size_t(j)])] = linear_accuracy(lc, masks[size_t(idx[size_t(j)])] >> shift);
        });
      }
      return out;
    };
    nlohmann::json js;
    auto emit = [&](const std::string& kind, const std::string& what, const std::vector<uint64_t>& masks,
                    bool kept) {
      const std::vector<double> acc = eval(masks);
      Table t = make_table("ablation_" + m + "_" + kind, what + " (" + m + " ablation of z at every position)",
                           data, {kept ? "kept" : "ablated", "accuracy", "drop"});
      nlohmann::json j = nlohmann::json::object();
      for (size_t k = 0; k < masks.size(); ++k) {
        const std::string key = set_key(c, kept ? all ^ masks[k] : masks[k]);
        j[key] = acc[k];
        t.add_row({key, acc[k], full - acc[k]});
      }
      js[kind] = j;
      res.tables.push_back(std::move(t));
      return acc;
    };
    emit("single", "accuracy with one head ablated", singles, false);
    emit("pairs", "accuracy with two heads ablated", pairs, false);
    emit("only", "accuracy with only this head kept (all others ablated)", only, true);
    const std::vector<double> op = emit("only_pairs", "accuracy with only this pair kept", only_pairs, true);

    // Minimal sufficient sets: from every subset when available, else from
    // single heads and pairs only.
    std::vector<std::pair<uint64_t, double>> kept_acc;  // (kept set, accuracy)
    if (subsets) {
      std::vector<double> acc;
      if (linear) {
        acc.resize(size_t(1) << n);
        for (uint64_t earlier = 0; earlier <= earlier_all; ++earlier) {
          const std::vector<double> last = all_subsets_accuracy(contribs(earlier), opt.threads);
          for (size_t s = 0; s < last.size(); ++s) acc[earlier | (uint64_t(s) << shift)] = last[s];
        }
      } else {
        std::vector<uint64_t> masks(size_t(1) << n);
        for (size_t s = 0; s < masks.size(); ++s) masks[s] = s;
        acc = eval(masks);
      }
      Table t = make_table("ablation_" + m + "_subsets", "accuracy for every set of ablated heads (" + m + ")", data,
                           {"ablated", "kept", "n_kept", "accuracy"});
      for (size_t s = 0; s < acc.size(); ++s) {
        t.add_row({set_key(c, s), set_key(c, all ^ s), n - std::popcount(s), acc[s]});
        kept_acc.push_back({all ^ s, acc[s]});
      }
      res.tables.push_back(std::move(t));
    } else {
      const std::vector<double> o = eval(only);
      for (size_t k = 0; k < only.size(); ++k) kept_acc.push_back({all ^ only[k], o[k]});
      for (size_t k = 0; k < only_pairs.size(); ++k) kept_acc.push_back({all ^ only_pairs[k], op[k]});
    }
    int min_size = 65;
    for (const auto& [set, a] : kept_acc)
      if (a >= threshold) min_size = std::min(min_size, std::popcount(set));
    Table ms = make_table("ablation_" + m + "_minimal_sets",
                          "smallest head sets whose kept-only accuracy >= threshold (" + m + ")", data,
                          {"kept", "size", "accuracy"});
    nlohmann::json minimal = nlohmann::json::array();
    for (const auto& [set, a] : kept_acc)
      if (a >= threshold && std::popcount(set) == min_size) {
        ms.add_row({set_key(c, set), min_size, a});
        nlohmann::json heads = nlohmann::json::array();
        for (int f = 0; f < n; ++f)
          if (set >> f & 1) heads.push_back(head_key(c, f));
        minimal.push_back(heads);
      }
    res.tables.push_back(std::move(ms));
    js["subsets_evaluated"] = subsets ? (size_t(1) << n) : 0;
    js["minimal_sufficient"] = minimal;
    js["minimal_size"] = min_size <= 64 ? nlohmann::json(min_size) : nlohmann::json(nullptr);

    std::vector<std::vector<bool>> suff(size_t(n), std::vector<bool>(size_t(n), false));
    size_t k = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j, ++k) suff[size_t(i)][size_t(j)] = suff[size_t(j)][size_t(i)] = op[k] >= threshold;
    const auto groups = functional_groups(suff);
    if (groups.empty()) {
      js["groups"] = "none";
    } else {
      nlohmann::json g = nlohmann::json::array();
      for (const auto& grp : groups) {
        nlohmann::json heads = nlohmann::json::array();
        for (int f : grp) heads.push_back(head_key(c, f));
        g.push_back(heads);
      }
      js["groups"] = g;
    }
    res.summary[m] = js;
  }
  return res;
}

}  // namespace hc
