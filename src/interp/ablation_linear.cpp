#include "interp/ablation_linear.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "core/chunked.hpp"
#include "core/error.hpp"
#include "interp/cache.hpp"

namespace hc {

namespace {

// Whether argmax(logits) == answer with first-index tie-breaking, like eval:
// the answer must beat every earlier logit strictly and tie or beat later ones.
template <class S>
inline bool correct(const S* z, int V, int answer) {
  const S a = z[answer];
  for (int v = 0; v < answer; ++v)
    if (z[v] >= a) return false;
  for (int v = answer + 1; v < V; ++v)
    if (z[v] > a) return false;
  return true;
}

}  // namespace

LinearContribs linear_contribs(const Model<float>& model, const Dataset& data, const AblationRefs& refs,
                               int threads, uint64_t earlier_ablated) {
  const ModelConfig& c = model.config();
  if (data.examples.empty()) throw Error("the evaluation set '" + data.source + "' holds no examples");
  const int H = c.n_heads, D = c.d_model, E = c.d_head, V = c.d_vocab, last = c.n_layers - 1;
  const int n_earlier = last * H;
  if (n_earlier < 64 && (earlier_ablated >> n_earlier) != 0)
    throw std::logic_error("linear_contribs: earlier_ablated names a head of the last layer or beyond");
  // The earlier layers' ablation runs through the hooked forward; the
  // (non-owning) pointer lives only for this call.
  Setter earlier;
  if (earlier_ablated)
    earlier = ablation_setter(model, std::shared_ptr<const AblationRefs>(&refs, [](const AblationRefs*) {}),
                              {earlier_ablated});
  LinearContribs out;
  out.N = int(data.examples.size());
  out.H = H;
  out.V = V;
  out.full.assign(size_t(out.N) * V, 0.0);
  out.delta.assign(size_t(out.N) * H * V, 0.0);
  for (const auto& ex : data.examples) out.answers.push_back(ex.answer);

  const float* WU = model.param(ParamKind::W_U);  // [D,V]
  const float* WO = model.param(ParamKind::W_O, last);  // [H,E,D]
  const float* bO = c.biases ? model.param(ParamKind::b_O, last) : nullptr;
  const float* bU = c.biases ? model.param(ParamKind::b_U) : nullptr;
  // x [D] -> x W_U [V], in double.
  auto unembed = [&](const double* x, double* out_v) {
    for (int v = 0; v < V; ++v) out_v[v] = 0;
    for (int d = 0; d < D; ++d)
      for (int v = 0; v < V; ++v) out_v[v] += x[d] * double(WU[size_t(d) * V + v]);
  };
  // z [E] of head h -> z W_O[h] W_U [V].
  auto head_term = [&](int h, const double* z, double* out_v, std::vector<double>& r) {
    std::fill(r.begin(), r.end(), 0.0);
    for (int e = 0; e < E; ++e)
      for (int d = 0; d < D; ++d) r[size_t(d)] += z[e] * double(WO[(size_t(h) * E + e) * D + d]);
    unembed(r.data(), out_v);
  };

  // The zero and mean replacements are the same for every example at the query.
  std::vector<double> const_repl(size_t(H) * V, 0.0);
  if (refs.mode == AblationMode::mean) {
    std::vector<double> r(static_cast<size_t>(D));
    for (int h = 0; h < H; ++h) head_term(h, mean_replacement(refs, last, h, -1, true), &const_repl[size_t(h) * V], r);
  }

  const size_t step = 256, N = size_t(out.N);
  const int n_chunks = int((N + step - 1) / step);
  threads = std::max(1, std::min(threads, n_chunks));
  for_each_job(int(n_chunks), threads, [&](int ch) {
    const size_t b0 = size_t(ch) * step, b1 = std::min(N, b0 + step);
    Hooks<float> hooks;
    if (earlier) earlier(0, Chunk{&data, b0, int(b1 - b0), nullptr, nullptr}, hooks);
    const Activations<float> a = run_at_queries(model, data, b0, b1, earlier ? &hooks : nullptr);
    const LayerActs<float>& la = a.layers[size_t(last)];
    std::vector<double> x(static_cast<size_t>(D)), z(static_cast<size_t>(E)), r(static_cast<size_t>(D)),
        term(static_cast<size_t>(V));
    for (size_t i = b0; i < b1; ++i) {
      const size_t b = i - b0;
      double* full = &out.full[i * V];
      // base: (resid_pre of the last layer + b_O) W_U + b_U
      for (int d = 0; d < D; ++d) x[size_t(d)] = double(la.xq[b * D + d]) + (bO ? double(bO[d]) : 0.0);
      unembed(x.data(), full);
      if (bU)
        for (int v = 0; v < V; ++v) full[v] += double(bU[v]);
      for (int h = 0; h < H; ++h) {
        for (int e = 0; e < E; ++e) z[size_t(e)] = double(la.z[(b * H + h) * E + e]);
        head_term(h, z.data(), term.data(), r);
        double* dl = &out.delta[(i * H + h) * V];
        if (refs.mode == AblationMode::resample) {
          const SourceActs& sa = *refs.source[size_t(last)];
          const float* src = sa.values.data() + i * sa.per_example;  // [1,H,E]
          for (int e = 0; e < E; ++e) z[size_t(e)] = double(src[h * E + e]);
          head_term(h, z.data(), dl, r);
        } else {
          std::copy_n(&const_repl[size_t(h) * V], V, dl);
        }
        for (int v = 0; v < V; ++v) {
          full[v] += term[size_t(v)];
          dl[v] -= term[size_t(v)];
        }
      }
    }
  });
  return out;
}

std::vector<double> linear_logits(const LinearContribs& c, uint64_t ablated) {
  std::vector<double> out(c.full);
  for (int i = 0; i < c.N; ++i)
    for (int h = 0; h < c.H; ++h)
      if (ablated >> h & 1)
        for (int v = 0; v < c.V; ++v) out[size_t(i) * c.V + v] += c.delta[(size_t(i) * c.H + h) * c.V + v];
  return out;
}

double linear_accuracy(const LinearContribs& c, uint64_t ablated) {
  const std::vector<double> z = linear_logits(c, ablated);
  int ok = 0;
  for (int i = 0; i < c.N; ++i) ok += correct(&z[size_t(i) * c.V], c.V, c.answers[size_t(i)]);
  return double(ok) / c.N;
}

namespace {

// The Gray-code walk for one example; VV > 0 fixes V at compile time so the
// inner loops unroll (V is 8 for Count01, 14 for Max-of-List).
template <int VV>
void walk(const LinearContribs& c, int i, int Vrt, uint32_t* counts) {
  const int V = VV > 0 ? VV : Vrt;
  const int H = c.H, answer = c.answers[size_t(i)];
  const double* full = &c.full[size_t(i) * V];
  const double* delta = &c.delta[size_t(i) * H * V];
  double acc[64];
  std::copy_n(full, V, acc);
  counts[0] += correct(acc, V, answer);
  const uint32_t n = 1u << H;
  for (uint32_t s = 1; s < n; ++s) {
    const uint32_t g = s ^ (s >> 1);
    if ((s & 4095u) == 0) {
      // Re-sum exactly: full + the deltas of every ablated head, in head order.
      std::copy_n(full, V, acc);
      for (int h = 0; h < H; ++h)
        if (g >> h & 1)
          for (int v = 0; v < V; ++v) acc[v] += delta[size_t(h) * V + v];
    } else {
      const int h = std::countr_zero(s);  // the one head whose state flips
      const double* d = delta + size_t(h) * V;
      if (g >> h & 1)
        for (int v = 0; v < V; ++v) acc[v] += d[v];
      else
        for (int v = 0; v < V; ++v) acc[v] -= d[v];
    }
    counts[g] += correct(acc, V, answer);
  }
}

}  // namespace

std::vector<double> all_subsets_accuracy(const LinearContribs& c, int threads) {
  if (c.H > 24) throw std::logic_error("all_subsets_accuracy: at most 24 heads");
  if (c.V > 64) throw std::logic_error("all_subsets_accuracy: at most 64 vocabulary entries");
  const size_t n = size_t(1) << c.H;
  threads = std::max(1, std::min(threads, c.N));
  std::vector<std::vector<uint32_t>> counts(size_t(threads), std::vector<uint32_t>(n, 0));
#pragma omp parallel num_threads(threads)
  {
    uint32_t* mine = counts[size_t(omp_get_thread_num())].data();
#pragma omp for schedule(static)
    for (int i = 0; i < c.N; ++i) {
      if (c.V == 8) walk<8>(c, i, c.V, mine);
      else if (c.V == 14) walk<14>(c, i, c.V, mine);
      else walk<0>(c, i, c.V, mine);
    }
  }
  std::vector<double> acc(n);
  for (size_t s = 0; s < n; ++s) {
    uint64_t total = 0;
    for (const auto& t : counts) total += t[s];
    acc[s] = double(total) / c.N;
  }
  return acc;
}

}  // namespace hc
