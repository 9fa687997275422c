#include "interp/subset_ablation.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "core/chunked.hpp"
#include "core/error.hpp"
#include "interp/cache.hpp"

namespace hc {

namespace {

using RM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Per-chunk tallies: correct [masks] and class_correct [masks, C].
struct Tally {
  std::vector<int64_t> correct, class_correct;
};

int argmax(const float* z, int V) { return int(std::max_element(z, z + V) - z); }

// W [H,D,E] as [D, H*E].
RM heads_side_by_side(const float* W, int H, int D, int E) {
  RM out(D, H * E);
  for (int h = 0; h < H; ++h)
    for (int d = 0; d < D; ++d)
      for (int e = 0; e < E; ++e) out(d, h * E + e) = W[(size_t(h) * D + d) * E + e];
  return out;
}

// The fast two-layer path over examples [b0, b1).
void two_layer_chunk(const Model<float>& model, const Dataset& data, const AblationRefs& refs,
                     const std::vector<int>& class_of, size_t C, size_t b0, size_t b1, Tally& t) {
  const ModelConfig& c = model.config();
  const int H = c.n_heads, D = c.d_model, E = c.d_head, V = c.d_vocab, T = c.n_ctx;
  const int B = int(b1 - b0), R = 1 + 2 * H;  // rows per position: base, then (kept, ablated) per layer-0 head
  const Activations<float> a = run_at_queries(model, data, b0, b1);
  const LayerActs<float>& l0 = a.layers[0];
  const float* WO0 = model.param(ParamKind::W_O, 0);
  const float* WO1 = model.param(ParamKind::W_O, 1);
  const float* WU = model.param(ParamKind::W_U);
  auto z_times_wo = [&](const float* WO, int h, const auto* z, float* out) {  // out[D] = z[E] W_O[h]
    for (int d = 0; d < D; ++d) {
      float s = 0;
      for (int e = 0; e < E; ++e) s += float(z[e]) * WO[(size_t(h) * E + e) * D + d];
      out[d] = s;
    }
  };
  // X [B*T*R, D]: the residual's parts at every position.
  RM X = RM::Zero(Eigen::Index(B) * T * R, D);
  for (int b = 0; b < B; ++b) {
    const Example& ex = data.examples[b0 + size_t(b)];
    for (int tt = 0; tt < T; ++tt) {
      const size_t bt = size_t(b) * T + tt;
      float* row = X.data() + bt * R * D;
      for (int d = 0; d < D; ++d)
        row[d] = a.embed[bt * D + d] + a.pos[bt * D + d] + (c.biases ? model.param(ParamKind::b_O, 0)[d] : 0.f);
      for (int s = 0; s < H; ++s) {
        std::copy_n(l0.result.data() + (bt * H + s) * D, D, row + size_t(1 + 2 * s) * D);
        float* abl = row + size_t(2 + 2 * s) * D;
        if (refs.mode == AblationMode::mean) {
          z_times_wo(WO0, s, mean_replacement(refs, 0, s, tt, tt == ex.query_pos), abl);
        } else if (refs.mode == AblationMode::resample) {
          const SourceActs& src = *refs.source[0];
          z_times_wo(WO0, s, src.values.data() + (b0 + size_t(b)) * src.per_example + (size_t(tt) * H + s) * E, abl);
        }
      }
    }
  }
  const RM K = X * heads_side_by_side(model.param(ParamKind::W_K, 1), H, D, E);  // [B*T*R, H*E]
  const RM Vv = X * heads_side_by_side(model.param(ParamKind::W_V, 1), H, D, E);
  RM Xq(Eigen::Index(B) * R, D);  // the parts at the query position
  for (int b = 0; b < B; ++b)
    Xq.middleRows(Eigen::Index(b) * R, R) =
        X.middleRows((Eigen::Index(b) * T + data.examples[b0 + size_t(b)].query_pos) * R, R);
  const RM Q = Xq * heads_side_by_side(model.param(ParamKind::W_Q, 1), H, D, E);
  const RM U = Xq * Eigen::Map<const RM>(WU, D, V);  // [B*R, V]
  // Layer-1 head h's z -> logits: W_O1[h] W_U [E,V].
  std::vector<RM> WOU;
  for (int h = 0; h < H; ++h) WOU.push_back(Eigen::Map<const RM>(WO1 + size_t(h) * E * D, E, D) * Eigen::Map<const RM>(WU, D, V));
  std::vector<float> base_bias(size_t(V), 0.f);  // b_O1 W_U + b_U
  if (c.biases) {
    const float* bO1 = model.param(ParamKind::b_O, 1);
    const float* bU = model.param(ParamKind::b_U);
    for (int v = 0; v < V; ++v) {
      float s = bU[v];
      for (int d = 0; d < D; ++d) s += bO1[d] * WU[size_t(d) * V + v];
      base_bias[size_t(v)] = s;
    }
  }
  const float* bQ = c.biases ? model.param(ParamKind::b_Q, 1) : nullptr;
  const float* bK = c.biases ? model.param(ParamKind::b_K, 1) : nullptr;
  const float* bVb = c.biases ? model.param(ParamKind::b_V, 1) : nullptr;
  const float scale = 1.0f / std::sqrt(float(E));
  const int HE = H * E;
  const uint64_t n0 = 1ull << H;
  std::vector<float> k(size_t(T) * HE), v(size_t(T) * HE), q(static_cast<size_t>(HE)), lz(size_t(H) * V), la(size_t(H) * V),
      base(static_cast<size_t>(V)), logits(static_cast<size_t>(V)), score(static_cast<size_t>(T)), z(static_cast<size_t>(E));
  for (int b = 0; b < B; ++b) {
    const Example& ex = data.examples[b0 + size_t(b)];
    const int p = ex.query_pos;
    const int cls = class_of[size_t(ex.answer)];
    // Ablated layer-1 heads' logit contributions.
    std::fill(la.begin(), la.end(), 0.f);
    for (int h = 0; h < H && refs.mode != AblationMode::zero; ++h) {
      for (int e = 0; e < E; ++e)
        z[size_t(e)] = refs.mode == AblationMode::mean
                           ? float(mean_replacement(refs, 1, h, p, true)[e])
                           : refs.source[1]->values[(b0 + size_t(b)) * refs.source[1]->per_example + size_t(h) * E + e];
      for (int vv = 0; vv < V; ++vv) {
        float s = 0;
        for (int e = 0; e < E; ++e) s += z[size_t(e)] * WOU[size_t(h)](e, vv);
        la[size_t(h) * V + vv] = s;
      }
    }
    for (uint64_t m0 = 0; m0 < n0; ++m0) {
      // Layer 1's inputs with the layer-0 heads in m0 ablated.
      for (int tt = 0; tt <= p; ++tt) {
        const Eigen::Index r0 = (Eigen::Index(b) * T + tt) * R;
        for (int i = 0; i < HE; ++i) {
          float ks = K(r0, i), vs = Vv(r0, i);
          for (int s = 0; s < H; ++s) {
            const Eigen::Index rs = r0 + 1 + 2 * s + ((m0 >> s) & 1);
            ks += K(rs, i);
            vs += Vv(rs, i);
          }
          k[size_t(tt) * HE + i] = ks + (bK ? bK[i] : 0.f);
          v[size_t(tt) * HE + i] = vs + (bVb ? bVb[i] : 0.f);
        }
      }
      const Eigen::Index rq = Eigen::Index(b) * R;
      for (int i = 0; i < HE; ++i) {
        float s = Q(rq, i);
        for (int h0 = 0; h0 < H; ++h0) s += Q(rq + 1 + 2 * h0 + ((m0 >> h0) & 1), i);
        q[size_t(i)] = s + (bQ ? bQ[i] : 0.f);
      }
      for (int vv = 0; vv < V; ++vv) {
        float s = U(rq, vv) + base_bias[size_t(vv)];
        for (int h0 = 0; h0 < H; ++h0) s += U(rq + 1 + 2 * h0 + ((m0 >> h0) & 1), vv);
        base[size_t(vv)] = s;
      }
      for (int h = 0; h < H; ++h) {
        float mx = -std::numeric_limits<float>::infinity();
        for (int tt = 0; tt <= p; ++tt) {
          float s = 0;
          for (int e = 0; e < E; ++e) s += q[size_t(h) * E + e] * k[size_t(tt) * HE + h * E + e];
          score[size_t(tt)] = s * scale;
          mx = std::max(mx, score[size_t(tt)]);
        }
        float sum = 0;
        for (int tt = 0; tt <= p; ++tt) sum += (score[size_t(tt)] = std::exp(score[size_t(tt)] - mx));
        std::fill(z.begin(), z.end(), 0.f);
        for (int tt = 0; tt <= p; ++tt) {
          const float w = score[size_t(tt)] / sum;
          for (int e = 0; e < E; ++e) z[size_t(e)] += w * v[size_t(tt) * HE + h * E + e];
        }
        for (int vv = 0; vv < V; ++vv) {
          float s = 0;
          for (int e = 0; e < E; ++e) s += z[size_t(e)] * WOU[size_t(h)](e, vv);
          lz[size_t(h) * V + vv] = s;
        }
      }
      for (uint64_t m1 = 0; m1 < n0; ++m1) {
        for (int vv = 0; vv < V; ++vv) {
          float s = base[size_t(vv)];
          for (int h = 0; h < H; ++h) s += ((m1 >> h) & 1) ? la[size_t(h) * V + vv] : lz[size_t(h) * V + vv];
          logits[size_t(vv)] = s;
        }
        if (argmax(logits.data(), V) == ex.answer) {
          const uint64_t mask = m0 | (m1 << H);
          ++t.correct[mask];
          ++t.class_correct[mask * C + size_t(cls)];
        }
      }
    }
  }
}

}  // namespace

SubsetAblation subset_ablation(const Model<float>& model, const Dataset& data, AblationMode mode, int threads,
                               const Dataset* reference, bool force_hooked) {
  const ModelConfig& c = model.config();
  const int F = c.n_layers * c.n_heads;
  if (F > 16)
    throw Error("every subset of " + std::to_string(F) + " heads is 2^" + std::to_string(F) +
                " ablations, too many to run exhaustively (at most 16 heads in all): use the ablation analysis's "
                "single heads and pairs");
  if (data.examples.empty())
    throw Error("the evaluation set '" + data.source + "' holds no examples: give a non-empty --eval-set");
  const size_t N = data.examples.size(), masks = size_t(1) << F;
  SubsetAblation r;
  r.mode = mode;
  r.L = c.n_layers;
  r.H = c.n_heads;
  r.n = N;
  std::vector<int> class_of(size_t(c.d_vocab), -1);
  for (const auto& ex : data.examples) class_of[size_t(ex.answer)] = 0;
  for (int v = 0; v < c.d_vocab; ++v)
    if (class_of[size_t(v)] == 0) {
      class_of[size_t(v)] = int(r.classes.size());
      r.classes.push_back(v);
    }
  const size_t C = r.classes.size();
  r.class_n.assign(C, 0);
  for (const auto& ex : data.examples) ++r.class_n[size_t(class_of[size_t(ex.answer)])];
  const AblationRefs refs = ablation_refs(model, mode, data, reference ? *reference : data, threads);

  const bool fast = c.n_layers == 2 && !force_hooked;
  r.method = fast ? "two_layer_fast" : "hooked";
  const size_t chunk = fast ? 64 : 256;
  const int n_chunks = chunk_count(N, chunk);
  std::vector<Tally> tallies(static_cast<size_t>(n_chunks));
  if (fast) {
    for_each_chunk(N, chunk, threads, [&](int ci, size_t b0, size_t b1) {
      Tally& t = tallies[size_t(ci)];
      t.correct.assign(masks, 0);
      t.class_correct.assign(masks * C, 0);
      two_layer_chunk(model, data, refs, class_of, C, b0, b1, t);
    });
  } else {
    auto shared = std::make_shared<const AblationRefs>(refs);
    for (auto& t : tallies) {
      t.correct.assign(masks, 0);
      t.class_correct.assign(masks * C, 0);
    }
    const int V = c.d_vocab;
    for (size_t m = 0; m < masks; ++m) {
      const std::vector<float> lg = patch_logits(model, data, ablation_setter(model, shared, {m}), 0, threads);
      for (size_t i = 0; i < N; ++i) {
        if (argmax(lg.data() + i * V, V) != data.examples[i].answer) continue;
        Tally& t = tallies[i / chunk];
        ++t.correct[m];
        ++t.class_correct[m * C + size_t(class_of[size_t(data.examples[i].answer)])];
      }
    }
  }
  r.correct.assign(masks, 0);
  r.class_correct.assign(masks * C, 0);
  for (const Tally& t : tallies) {
    for (size_t m = 0; m < masks; ++m) r.correct[m] += t.correct[m];
    for (size_t i = 0; i < masks * C; ++i) r.class_correct[i] += t.class_correct[i];
  }
  return r;
}

SubsetFindings subset_findings(const SubsetAblation& s, double fraction) {
  const int F = s.L * s.H;
  const uint64_t all = (uint64_t(1) << F) - 1;
  SubsetFindings f;
  f.threshold = fraction * s.accuracy(0);
  auto suffices = [&](uint64_t kept) { return s.accuracy(all & ~kept) >= f.threshold; };
  std::vector<uint64_t> sufficient;
  for (uint64_t kept = 0; kept <= all; ++kept)
    if (suffices(kept)) sufficient.push_back(kept);
  for (uint64_t k : sufficient) {
    bool minimal = true;
    for (uint64_t o : sufficient)
      if (o != k && (o & k) == o) minimal = false;
    if (minimal) f.minimal_sufficient.push_back(k);
  }
  std::stable_sort(f.minimal_sufficient.begin(), f.minimal_sufficient.end(), [](uint64_t x, uint64_t y) {
    return __builtin_popcountll(x) < __builtin_popcountll(y);
  });
  for (int h = 0; h < F; ++h)
    if (s.accuracy(uint64_t(1) << h) < f.threshold) f.necessary.push_back(h);
  return f;
}

}  // namespace hc
