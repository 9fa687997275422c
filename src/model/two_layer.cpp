// The folded two-layer path over one chunk (two_layer.hpp): each step's
// forward kernel beside its backward, then the chunk forward and backward that
// call them in order.
#include "model/two_layer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/ops.hpp"

namespace hc {

using namespace ops;

namespace {

// x[0..n) = exp(x[0..n)) in place. Every element goes through Eigen's packet
// exp (SIMD, within a couple of ulp of std::exp; a row max still gives 1), the last
// n % W through a zero-padded packet, so an element's bits depend only on its
// value, never on where it falls in the row or in memory.
template <class S>
inline void exp_in_place(S* x, int n) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<S>::type;
  constexpr int W = ei::packet_traits<S>::size;
  int j = 0;
  for (; j + W <= n; j += W) ei::pstoreu(x + j, ei::pexp(ei::ploadu<Packet>(x + j)));
  if (j < n) {
    S buf[W] = {};
    std::copy(x + j, x + n, buf);
    ei::pstoreu(buf, ei::pexp(ei::ploadu<Packet>(buf)));
    std::copy(buf, buf + (n - j), x + j);
  }
}

// p[0..n) = softmax of s[0..n) (in place allowed).
template <class S>
inline void softmax_row(const S* s, int n, S* p) {
  S m = -std::numeric_limits<S>::infinity();
  for (int j = 0; j < n; ++j) m = std::max(m, s[j]);
  for (int j = 0; j < n; ++j) p[j] = s[j] - m;
  exp_in_place(p, n);
  S sum = 0;
  for (int j = 0; j < n; ++j) sum += p[j];
  const S inv = S(1) / sum;
  for (int j = 0; j < n; ++j) p[j] *= inv;
}

// The head-width loops below take E as a template argument kE when it is a
// common size (8, 16), so that they unroll and vectorise; kE = 0: E at run time.
// The order of every sum is the same either way.

// out[0..E) = sum_{j<n} p[j] * v[j*stride ..]
template <int kE, class S>
inline void mix_row(const S* p, int n, const S* v, size_t stride, int E_, S* __restrict out) {
  const int E = kE > 0 ? kE : E_;
  std::fill_n(out, E, S(0));
  for (int j = 0; j < n; ++j) {
    const S pj = p[j];
    const S* __restrict vj = v + j * stride;
    for (int e = 0; e < E; ++e) out[e] += pj * vj[e];
  }
}

// Backward of out = sum_j p_j v_j and p = softmax(s): dv_j += p_j dz; returns
// ds_j = p_j (dz.v_j - sum_k p_k dz.v_k) in ds[0..n).
template <int kE, class S>
inline void mix_softmax_backward_row(const S* p, int n, const S* v, S* dv, size_t stride, int E_,
                                     const S* __restrict dz, S* ds) {
  const int E = kE > 0 ? kE : E_;
  S dot = 0;
  for (int j = 0; j < n; ++j) {
    const S* __restrict vj = v + j * stride;
    S* __restrict dvj = dv + j * stride;
    S acc = 0;
    for (int e = 0; e < E; ++e) {
      acc += dz[e] * vj[e];
      dvj[e] += p[j] * dz[e];
    }
    ds[j] = acc;
    dot += p[j] * acc;
  }
  for (int j = 0; j < n; ++j) ds[j] = p[j] * (ds[j] - dot);
}

// ---- layer 0 attention: scores from the tables, softmax, mix ----

// z_i = sum_{j <= i} p[i,j] v_j for every query i < T: one head's Z = P V from
// its causal pattern block pat [T,T] (zero past the diagonal). For a common head
// width four query rows run at once, each summing over j in order in registers
// (widest SIMD packets that divide E), up to the group's last row: the zeros
// past a row's diagonal add exactly nothing, so the sums are those of mix_row.
template <int kE, class S>
inline void layer0_mix(int T, int E_, size_t stride, const S* __restrict pat, const S* __restrict v,
                       S* __restrict z) {
  if constexpr (kE > 0) {
    namespace ei = Eigen::internal;
    using PE = typename ei::find_best_packet<S, kE>::type;
    constexpr int WE = int(sizeof(PE) / sizeof(S)), NE = kE / WE, R = 4;
    static_assert(NE * WE == kE);
    int i0 = 0;
    for (; i0 + R <= T; i0 += R) {
      PE acc[R][NE];
      for (int r = 0; r < R; ++r)
        for (int k = 0; k < NE; ++k) acc[r][k] = ei::pset1<PE>(S(0));
      for (int j = 0; j < i0 + R; ++j) {
        const S* __restrict vj = v + size_t(j) * stride;
        PE vk[NE];
        for (int k = 0; k < NE; ++k) vk[k] = ei::ploadu<PE>(vj + k * WE);
        for (int r = 0; r < R; ++r) {
          const PE p = ei::pset1<PE>(pat[size_t(i0 + r) * T + j]);
          for (int k = 0; k < NE; ++k) acc[r][k] = ei::pmadd(p, vk[k], acc[r][k]);
        }
      }
      for (int r = 0; r < R; ++r)
        for (int k = 0; k < NE; ++k) ei::pstoreu(z + size_t(i0 + r) * stride + k * WE, acc[r][k]);
    }
    for (; i0 < T; ++i0) mix_row<kE>(pat + size_t(i0) * T, i0 + 1, v, stride, E_, z + size_t(i0) * stride);
  } else {
    for (int i = 0; i < T; ++i) mix_row<kE>(pat + size_t(i) * T, i + 1, v, stride, E_, z + size_t(i) * stride);
  }
}

// Per (example, head) the causal [T,T] pattern block is built whole: each row's
// scores less its max, then one exp over the block (SIMD, exp_in_place), then
// zeros past the diagonal, the rows summed four at a time (each in order; the
// zeros add nothing) and normalised; then the mix, layer0_mix.
template <int kE, class S>
void layer0_forward(const Dims& d, const TwoLayerTables<S>& t, int B, const int32_t* tokens, S* pattern,
                    const S* v0, S* z0) {
  const bool pos = !t.pp.empty();
  const int T = d.T;
  const size_t TT = size_t(T) * T;
  for (int b = 0; b < B; ++b) {
    const int32_t* tok = tokens + size_t(b) * T;
    for (int h = 0; h < d.H; ++h) {
      S* blk = pattern + (size_t(b) * d.H + h) * TT;
      for (int i = 0; i < T; ++i) {
        S* __restrict s = blk + size_t(i) * T;
        const S* __restrict tt = t.tt.data() + (size_t(h) * d.V + tok[i]) * d.V;
        if (pos) {
          const S* __restrict tp = t.tp.data() + (size_t(h) * d.V + tok[i]) * T;
          const S* __restrict pt = t.pt.data() + (size_t(h) * T + i) * d.V;
          const S* __restrict pp = t.pp.data() + (size_t(h) * T + i) * T;
          for (int j = 0; j <= i; ++j) s[j] = tt[tok[j]] + tp[j] + pt[tok[j]] + pp[j];
        } else {
          for (int j = 0; j <= i; ++j) s[j] = tt[tok[j]];
        }
        S m = -std::numeric_limits<S>::infinity();
        for (int j = 0; j <= i; ++j) m = std::max(m, s[j]);
        for (int j = 0; j <= i; ++j) s[j] -= m;
        std::fill(s + i + 1, s + T, S(0));
      }
      exp_in_place(blk, int(TT));
      for (int i = 0; i < T; ++i) std::fill(blk + size_t(i) * T + i + 1, blk + size_t(i + 1) * T, S(0));
      constexpr int R = 4;
      for (int i0 = 0; i0 < T; i0 += R) {
        const int nr = std::min(R, T - i0), n = i0 + nr;
        S sum[R] = {};
        for (int j = 0; j < n; ++j)
          for (int r = 0; r < nr; ++r) sum[r] += blk[size_t(i0 + r) * T + j];
        for (int r = 0; r < nr; ++r) {
          S* __restrict p = blk + size_t(i0 + r) * T;
          const S inv = S(1) / sum[r];
          for (int j = 0; j <= i0 + r; ++j) p[j] *= inv;
        }
      }
      const size_t off = size_t(b) * T * d.HE + h * d.E;
      layer0_mix<kE>(T, d.E, size_t(d.HE), blk, v0 + off, z0 + off);
    }
  }
}

// dst[idx[j]] += src[j] for j in [0, n), in order of j.
template <class S>
inline void scatter_add(S* dst, const int32_t* idx, const S* __restrict src, int n) {
  for (int j = 0; j < n; ++j) dst[idx[j]] += src[j];
}

// dv_j += sum_{i >= j} p[i,j] dz_i (i in increasing order) for each key j < T:
// one head's dV = P^T dZ. For a common head width the sum for a key runs in
// registers, in the widest SIMD packets that divide E.
template <int kE, class S>
inline void layer0_dv(int T, int E_, size_t stride, const S* __restrict pat, const S* __restrict dz,
                      S* __restrict dv) {
  if constexpr (kE > 0) {
    namespace ei = Eigen::internal;
    using PE = typename ei::find_best_packet<S, kE>::type;
    constexpr int WE = int(sizeof(PE) / sizeof(S)), NE = kE / WE;
    static_assert(NE * WE == kE);
    for (int j = 0; j < T; ++j) {
      PE acc[NE];
      for (int k = 0; k < NE; ++k) acc[k] = ei::pset1<PE>(S(0));
      for (int i = j; i < T; ++i) {
        const PE pij = ei::pset1<PE>(pat[size_t(i) * T + j]);
        const S* __restrict dzi = dz + size_t(i) * stride;
        for (int k = 0; k < NE; ++k) acc[k] = ei::pmadd(pij, ei::ploadu<PE>(dzi + k * WE), acc[k]);
      }
      S* __restrict dvj = dv + size_t(j) * stride;
      for (int k = 0; k < NE; ++k) ei::pstoreu(dvj + k * WE, ei::padd(ei::ploadu<PE>(dvj + k * WE), acc[k]));
    }
  } else {
    for (int i = 0; i < T; ++i)
      for (int j = 0; j <= i; ++j) {
        const S pij = pat[size_t(i) * T + j];
        S* __restrict dvj = dv + size_t(j) * stride;
        const S* __restrict dzi = dz + size_t(i) * stride;
        for (int e = 0; e < E_; ++e) dvj[e] += pij * dzi[e];
      }
  }
}

// From dz0 [B,T,HE]: dv0 [B,T,HE] (zeroed by the caller) and the score-table gradients.
// Per (example, head): the values are transposed once into packet-wide key
// blocks, vt[block][e][lane] (keys past T zero), so that the dz.v dots run across
// the keys a packet at a time (each lane summed over e in order, as before)
// rather than as one horizontal sum per key; the softmax backward gives the row
// of ds, zero past the query row; then the tables indexed by key position (tp,
// pp) take whole rows as dense adds (adding zeros past the query row) and tt and
// pt, indexed by key token, scatter. Every sum keeps its order.
template <int kE, class S>
void layer0_backward(const Dims& d, int B, const int32_t* tokens, const S* pattern, const S* v0, const S* dz0,
                     S* dv0, S* ds, TwoLayerGrads<S>& g) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<S>::type;
  constexpr int W = ei::packet_traits<S>::size;
  (void)ds;  // a row of T does not hold a padded row: ours is below
  const bool pos = !g.pp.empty();
  const int E = kE > 0 ? kE : d.E, T = d.T, Tp = (T + W - 1) / W * W;
  std::vector<S> buf(size_t(E) * Tp + Tp, S(0));
  S* __restrict vt = buf.data();
  S* __restrict dsr = vt + size_t(E) * Tp;
  for (int b = 0; b < B; ++b) {
    const int32_t* tok = tokens + size_t(b) * T;
    for (int h = 0; h < d.H; ++h) {
      const size_t off = size_t(b) * T * d.HE + h * d.E;
      const S* v = v0 + off;
      const S* dz = dz0 + off;
      const S* pat = pattern + (size_t(b) * d.H + h) * T * T;
      for (int j = 0; j < T; ++j) {
        S* vtj = vt + size_t(j / W) * E * W + j % W;
        for (int e = 0; e < E; ++e) vtj[size_t(e) * W] = v[size_t(j) * d.HE + e];
      }
      for (int i = 0; i < T; ++i) {
        const int n = i + 1;
        const S* __restrict p = pat + size_t(i) * T;
        const S* __restrict dzi = dz + size_t(i) * d.HE;
        // dsr[j] = dz_i . v_j, a packet of keys at a time.
        for (int j0 = 0; j0 < n; j0 += W) {
          const S* __restrict vb = vt + size_t(j0) * E;
          Packet acc = ei::pset1<Packet>(S(0));
          for (int e = 0; e < E; ++e) acc = ei::pmadd(ei::pset1<Packet>(dzi[e]), ei::ploadu<Packet>(vb + e * W), acc);
          ei::pstoreu(dsr + j0, acc);
        }
        // Softmax backward: ds_j = p_j (dz.v_j - sum_k p_k dz.v_k); 0 past the query row.
        S dot = 0;
        for (int j = 0; j < n; ++j) dot += p[j] * dsr[j];
        for (int j = 0; j < n; ++j) dsr[j] = p[j] * (dsr[j] - dot);
        std::fill(dsr + n, dsr + Tp, S(0));
        scatter_add(g.tt.data() + (size_t(h) * d.V + tok[i]) * d.V, tok, dsr, n);
        if (!pos) continue;
        scatter_add(g.pt.data() + (size_t(h) * T + i) * d.V, tok, dsr, n);
        accumulate(g.tp.data() + (size_t(h) * d.V + tok[i]) * T, dsr, T);
        accumulate(g.pp.data() + (size_t(h) * T + i) * T, dsr, T);
      }
      layer0_dv<kE>(T, E, size_t(d.HE), pat, dz, dv0 + off);
    }
  }
}

// ---- layer 1 attention over x_j = [z0_j | onehot(tok_j) | onehot(j)] ----
//
// Per example, the G = P*H (query row, head) pairs g = p*H + h each hold a
// contracted query qt[g] in R^X; score[g,j] = z0_j . qt[g][0,HE) +
// qt[g][HE + tok_j] + qt[g][HE + V + j]. The z0 parts are small products per
// example ([G,HE] x [HE,T] and back); the table parts are reads and scatters.

struct Layer1Shape {
  int T, HE, V, H, P, G, X;
  bool pos;
  Layer1Shape(const Dims& d, int P_, bool pos_)
      : T(d.T), HE(d.HE), V(d.V), H(d.H), P(P_), G(P_ * d.H),
        X(d.HE + d.V + (pos_ ? d.T : 0)), pos(pos_) {}
};

// From qt [B,G,X]: pattern [B,G,T] (zero after each query row) and y [B,G,X] = sum_j p_j x_j.
template <class S>
void layer1_forward(const Layer1Shape& s, int B, const int32_t* tokens, const int32_t* rows, const S* z0,
                    const S* qt, S* keys, S* pattern, S* y) {
  for (int b = 0; b < B; ++b) {
    const int32_t* tok = tokens + size_t(b) * s.T;
    const S* z = z0 + size_t(b) * s.T * s.HE;
    const S* q = qt + size_t(b) * s.G * s.X;
    auto Z = cmat(z, s.T, s.HE, s.HE);
    auto K = mat(keys, s.G, s.T, s.T);
    K.noalias() = cmat(q, s.G, s.HE, s.X) * Z.transpose();  // keys[g][j] = z0_j . qt[g]
    for (int g = 0; g < s.G; ++g) {
      const int n = rows[b * s.P + g / s.H] + 1;  // keys 0..row
      const S* qg = q + size_t(g) * s.X;
      S* pr = pattern + (size_t(b) * s.G + g) * s.T;
      const S* kg = keys + size_t(g) * s.T;
      for (int j = 0; j < n; ++j) pr[j] = kg[j] + qg[s.HE + tok[j]];
      if (s.pos)
        for (int j = 0; j < n; ++j) pr[j] += qg[s.HE + s.V + j];
      softmax_row(pr, n, pr);
      std::fill(pr + n, pr + s.T, S(0));
      S* yg = y + (size_t(b) * s.G + g) * s.X;
      std::fill_n(yg + s.HE, s.X - s.HE, S(0));
      for (int j = 0; j < n; ++j) yg[s.HE + tok[j]] += pr[j];
      if (s.pos) std::copy_n(pr, n, yg + s.HE + s.V);
    }
    mat(y + size_t(b) * s.G * s.X, s.G, s.HE, s.X).noalias() =
        cmat(pattern + size_t(b) * s.G * s.T, s.G, s.T, s.T) * Z;  // y[g][0,HE) = sum_j p_gj z0_j
  }
}

// From dy [B,G,X]: dqt [B,G,X] and adds into dz0 [B,T,HE].
template <class S>
void layer1_backward(const Layer1Shape& s, int B, const int32_t* tokens, const int32_t* rows, const S* z0,
                     const S* qt, const S* pattern, const S* dy, S* ds, S* dqt, S* dz0) {
  for (int b = 0; b < B; ++b) {
    const int32_t* tok = tokens + size_t(b) * s.T;
    auto Z = cmat(z0 + size_t(b) * s.T * s.HE, s.T, s.HE, s.HE);
    const S* dyb = dy + size_t(b) * s.G * s.X;
    const S* pb = pattern + size_t(b) * s.G * s.T;
    S* dqb = dqt + size_t(b) * s.G * s.X;
    auto DS = mat(ds, s.G, s.T, s.T);
    DS.noalias() = cmat(dyb, s.G, s.HE, s.X) * Z.transpose();  // ds[g][j] = dy[g] . z0_j, then the table parts
    for (int g = 0; g < s.G; ++g) {
      const int n = rows[b * s.P + g / s.H] + 1;
      const S* dyg = dyb + size_t(g) * s.X;
      const S* pr = pb + size_t(g) * s.T;
      S* dsg = ds + size_t(g) * s.T;
      // dp_j = dy . x_j; ds_j = p_j (dp_j - sum_k p_k dp_k)
      for (int j = 0; j < n; ++j) dsg[j] += dyg[s.HE + tok[j]];
      if (s.pos)
        for (int j = 0; j < n; ++j) dsg[j] += dyg[s.HE + s.V + j];
      S dot = 0;
      for (int j = 0; j < n; ++j) dot += pr[j] * dsg[j];
      for (int j = 0; j < n; ++j) dsg[j] = pr[j] * (dsg[j] - dot);
      std::fill(dsg + n, dsg + s.T, S(0));
      // dqt = sum_j ds_j x_j: the table parts here, the z0 part below
      S* dq = dqb + size_t(g) * s.X;
      std::fill_n(dq + s.HE, s.X - s.HE, S(0));
      for (int j = 0; j < n; ++j) dq[s.HE + tok[j]] += dsg[j];
      if (s.pos) std::copy_n(dsg, n, dq + s.HE + s.V);
    }
    mat(dqb, s.G, s.HE, s.X).noalias() = DS * Z;
    // dz0_j += sum_g ds[g][j] qt[g] + p[g][j] dy[g] (both zero after each query row)
    auto dZ = mat(dz0 + size_t(b) * s.T * s.HE, s.T, s.HE, s.HE);
    dZ.noalias() += DS.transpose() * cmat(qt + size_t(b) * s.G * s.X, s.G, s.HE, s.X);
    dZ.noalias() += cmat(pb, s.G, s.T, s.T).transpose() * cmat(dyb, s.G, s.HE, s.X);
  }
}

// ---- per-token / per-position table rows: out[b,t] += tok_tab[tok] + pos_tab[t] and back ----

template <class S>
void add_table_rows(const Dims& d, int B, const int32_t* tokens, const S* tok_tab, const S* pos_tab, int width,
                    S* out) {
  for (size_t n = 0; n < size_t(B) * d.T; ++n) {
    accumulate(out + n * width, tok_tab + size_t(tokens[n]) * width, width);
    if (pos_tab) accumulate(out + n * width, pos_tab + size_t(n % d.T) * width, width);
  }
}
template <class S>
void add_table_rows_backward(const Dims& d, int B, const int32_t* tokens, const S* dout, int width, S* dtok_tab,
                             S* dpos_tab) {
  for (size_t n = 0; n < size_t(B) * d.T; ++n) {
    accumulate(dtok_tab + size_t(tokens[n]) * width, dout + n * width, width);
    if (dpos_tab) accumulate(dpos_tab + size_t(n % d.T) * width, dout + n * width, width);
  }
}

// Calls f.template operator()<kE>() with kE = E for the common head widths, else 0.
template <class F>
void with_head_width(int E, F&& f) {
  if (E == 8) f.template operator()<8>();
  else if (E == 16) f.template operator()<16>();
  else f.template operator()<0>();
}

}  // namespace

// ---- the chunk ----

template <class S>
void two_layer_forward(const ModelConfig& c, const ParamTable& ptab, const S* params, const TwoLayerTables<S>& t,
                       const int32_t* tokens, int B, const int32_t* rows, int P, TwoLayerActs<S>& a) {
  const Dims d(c);
  auto p = [&](ParamKind k, int layer = -1) { return param(ptab, params, k, layer); };
  auto bias = [&](ParamKind k, int layer = -1) { return c.biases ? p(k, layer) : nullptr; };
  const bool pos = c.pos_embed;
  const size_t NT = size_t(B) * d.T, NP = size_t(B) * P, HE = d.HE, KV = 2 * HE;
  a.B = B;
  a.P = P;
  a.tokens = tokens;
  a.rows = rows;
  fit(a.pattern0, NT * d.H * d.T);
  fit(a.v0, NT * HE);
  fit(a.z0, NT * HE);
  const Layer1Shape s1(d, P, pos);
  const size_t NG = NP * d.H, X = s1.X;
  fit(a.zq0, NP * HE);
  fit(a.xq1, NP * d.D);
  fit(a.q1, NP * HE);
  fit(a.z1, NP * HE);
  fit(a.qt, NG * X);
  fit(a.y, NG * X);
  fit(a.pattern1, NG * d.T);
  fit(a.keys1, size_t(s1.G) * d.T);
  fit(a.resid1, NP * d.D);
  fit(a.logits, NP * d.V);

  // Layer 0 at every position, from the tables.
  std::fill(a.v0.begin(), a.v0.end(), S(0));
  add_table_rows(d, B, tokens, t.e0.ve.data(), pos ? t.e0.vp.data() : nullptr, d.HE, a.v0.data());
  with_head_width(d.E, [&]<int kE>() {
    layer0_forward<kE>(d, t, B, tokens, a.pattern0.data(), a.v0.data(), a.z0.data());
  });

  // Layer 1 residual and queries at the query rows.
  const S* WE = p(ParamKind::W_E);
  const S* WP = pos ? p(ParamKind::W_pos) : nullptr;
  for (size_t n = 0; n < NP; ++n) {
    const size_t src = (n / P) * d.T + rows[n];
    std::copy_n(a.z0.data() + src * HE, HE, a.zq0.data() + n * HE);
  }
  mat(a.xq1.data(), NP, d.D, d.D).noalias() = cmat(a.zq0.data(), NP, HE, HE) * cmat(p(ParamKind::W_O, 0), HE, d.D, d.D);
  for (size_t n = 0; n < NP; ++n) {
    const int row = rows[n];
    S* x = a.xq1.data() + n * d.D;
    accumulate(x, WE + size_t(tokens[(n / P) * d.T + row]) * d.D, d.D);
    if (WP) accumulate(x, WP + size_t(row) * d.D, d.D);
  }
  if (const S* bO0 = bias(ParamKind::b_O, 0)) add_bias_rows(a.xq1.data(), NP, d.D, bO0);
  mat(a.q1.data(), NP, HE, HE).noalias() = cmat(a.xq1.data(), NP, d.D, d.D) * cmat(t.wq1.data(), d.D, HE, HE);
  if (const S* bQ1 = bias(ParamKind::b_Q, 1)) add_bias_rows(a.q1.data(), NP, d.HE, bQ1);

  // Layer 1 attention over x at the query rows: qt_h = wx_K,h q1_h / sqrt(E), then z1_h = y_h wx_V,h.
  const S scale = S(1) / std::sqrt(S(d.E));
  for (int h = 0; h < d.H; ++h)
    mat(a.qt.data() + h * X, NP, X, d.H * X).noalias() =
        scale * (cmat(a.q1.data() + h * d.E, NP, d.E, HE) * cmat(t.wx.data() + h * d.E, X, d.E, KV).transpose());
  layer1_forward(s1, B, tokens, rows, a.z0.data(), a.qt.data(), a.keys1.data(), a.pattern1.data(), a.y.data());
  for (int h = 0; h < d.H; ++h)
    mat(a.z1.data() + h * d.E, NP, d.E, HE).noalias() =
        cmat(a.y.data() + h * X, NP, X, d.H * X) * cmat(t.wx.data() + HE + h * d.E, X, d.E, KV);
  auto R = mat(a.resid1.data(), NP, d.D, d.D);
  R = cmat(a.xq1.data(), NP, d.D, d.D);
  R.noalias() += cmat(a.z1.data(), NP, HE, HE) * cmat(p(ParamKind::W_O, 1), HE, d.D, d.D);
  if (const S* bO1 = bias(ParamKind::b_O, 1)) add_bias_rows(a.resid1.data(), NP, d.D, bO1);
  mat(a.logits.data(), NP, d.V, d.V).noalias() = R * cmat(p(ParamKind::W_U), d.D, d.V, d.V);
  if (const S* bU = bias(ParamKind::b_U)) add_bias_rows(a.logits.data(), NP, d.V, bU);
}

template <class S>
void two_layer_backward(const ModelConfig& c, const ParamTable& ptab, const S* params, const TwoLayerTables<S>& t,
                        TwoLayerActs<S>& a, S* grad, TwoLayerGrads<S>& g) {
  const Dims d(c);
  auto p = [&](ParamKind k, int layer = -1) { return param(ptab, params, k, layer); };
  auto gr = [&](ParamKind k, int layer = -1) { return grad_of(ptab, grad, k, layer); };
  const bool pos = c.pos_embed, bias = c.biases;
  const int B = a.B, P = a.P;
  const size_t NT = size_t(B) * d.T, NP = size_t(B) * P, HE = d.HE, KV = 2 * HE;
  fit(a.dR1, NP * d.D);
  fit(a.dxq1, NP * d.D);
  fit(a.dz1, NP * HE);
  fit(a.dzq0, NP * HE);
  fit(a.dp, size_t(d.T));
  const Layer1Shape s1(d, P, pos);
  const size_t NG = NP * d.H, X = s1.X;
  fit(a.dy, NG * X);
  fit(a.dqt, NG * X);
  fit(a.ds1, size_t(s1.G) * d.T);
  fit(a.dq1, NP * HE);
  a.dz0.assign(NT * HE, S(0));
  a.dv0.assign(NT * HE, S(0));

  // Unembed, layer 1 output projection and residual.
  auto dL = cmat(a.dlogits.data(), NP, d.V, d.V);
  auto dR = mat(a.dR1.data(), NP, d.D, d.D);
  mat(gr(ParamKind::W_U), d.D, d.V, d.V).noalias() += cmat(a.resid1.data(), NP, d.D, d.D).transpose() * dL;
  if (bias) add_colsum(a.dlogits.data(), NP, d.V, gr(ParamKind::b_U));
  dR.noalias() = dL * cmat(p(ParamKind::W_U), d.D, d.V, d.V).transpose();
  mat(gr(ParamKind::W_O, 1), HE, d.D, d.D).noalias() += cmat(a.z1.data(), NP, HE, HE).transpose() * dR;
  if (bias) add_colsum(a.dR1.data(), NP, d.D, gr(ParamKind::b_O, 1));
  mat(a.dz1.data(), NP, HE, HE).noalias() = dR * cmat(p(ParamKind::W_O, 1), HE, d.D, d.D).transpose();

  // Layer 1 attention over x: y -> wx_V, then the pattern, then qt -> wx_K and q1.
  const S scale = S(1) / std::sqrt(S(d.E));
  for (int h = 0; h < d.H; ++h) {
    auto dZ1 = cmat(a.dz1.data() + h * d.E, NP, d.E, HE);
    mat(a.dy.data() + h * X, NP, X, d.H * X).noalias() =
        dZ1 * cmat(t.wx.data() + HE + h * d.E, X, d.E, KV).transpose();
    mat(g.wx.data() + HE + h * d.E, X, d.E, KV).noalias() += cmat(a.y.data() + h * X, NP, X, d.H * X).transpose() * dZ1;
  }
  layer1_backward(s1, B, a.tokens, a.rows, a.z0.data(), a.qt.data(), a.pattern1.data(), a.dy.data(), a.ds1.data(),
                  a.dqt.data(), a.dz0.data());
  for (int h = 0; h < d.H; ++h) {
    auto dQt = cmat(a.dqt.data() + h * X, NP, X, d.H * X);
    mat(a.dq1.data() + h * d.E, NP, d.E, HE).noalias() = scale * (dQt * cmat(t.wx.data() + h * d.E, X, d.E, KV));
    mat(g.wx.data() + h * d.E, X, d.E, KV).noalias() +=
        scale * (dQt.transpose() * cmat(a.q1.data() + h * d.E, NP, d.E, HE));
  }
  auto dQ = cmat(a.dq1.data(), NP, HE, HE);
  auto dX = mat(a.dxq1.data(), NP, d.D, d.D);
  mat(g.wq1.data(), d.D, HE, HE).noalias() += cmat(a.xq1.data(), NP, d.D, d.D).transpose() * dQ;
  if (bias) add_colsum(a.dq1.data(), NP, d.HE, gr(ParamKind::b_Q, 1));
  dX = dR;
  dX.noalias() += dQ * cmat(t.wq1.data(), d.D, HE, HE).transpose();

  // Layer 1 resid_pre at the query rows = embed + pos + z0 W_O0 + b_O0.
  S* gWE = gr(ParamKind::W_E);
  S* gWP = pos ? gr(ParamKind::W_pos) : nullptr;
  for (size_t n = 0; n < NP; ++n) {
    const int row = a.rows[n];
    const S* dx = a.dxq1.data() + n * d.D;
    accumulate(gWE + size_t(a.tokens[(n / P) * d.T + row]) * d.D, dx, d.D);
    if (gWP) accumulate(gWP + size_t(row) * d.D, dx, d.D);
  }
  if (bias) add_colsum(a.dxq1.data(), NP, d.D, gr(ParamKind::b_O, 0));
  mat(gr(ParamKind::W_O, 0), HE, d.D, d.D).noalias() += cmat(a.zq0.data(), NP, HE, HE).transpose() * dX;
  mat(a.dzq0.data(), NP, HE, HE).noalias() = dX * cmat(p(ParamKind::W_O, 0), HE, d.D, d.D).transpose();

  // z0 at the query rows also reaches the logits through the residual.
  for (size_t n = 0; n < NP; ++n) {
    const size_t dst = (n / P) * d.T + a.rows[n];
    accumulate(a.dz0.data() + dst * HE, a.dzq0.data() + n * HE, d.HE);
  }

  // Layer 0 attention.
  with_head_width(d.E, [&]<int kE>() {
    layer0_backward<kE>(d, B, a.tokens, a.pattern0.data(), a.v0.data(), a.dz0.data(), a.dv0.data(), a.dp.data(), g);
  });
  add_table_rows_backward(d, B, a.tokens, a.dv0.data(), d.HE, g.ve.data(), pos ? g.vp.data() : nullptr);
}

#define HC_INSTANTIATE(S)                                                                                       \
  template void two_layer_forward<S>(const ModelConfig&, const ParamTable&, const S*, const TwoLayerTables<S>&, \
                                     const int32_t*, int, const int32_t*, int, TwoLayerActs<S>&);               \
  template void two_layer_backward<S>(const ModelConfig&, const ParamTable&, const S*, const TwoLayerTables<S>&, \
                                      TwoLayerActs<S>&, S*, TwoLayerGrads<S>&);
HC_INSTANTIATE(float)
HC_INSTANTIATE(double)
#undef HC_INSTANTIATE

}  // namespace hc
