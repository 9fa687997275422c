// Path patching on a hand-built two-layer model with a known circuit: a
// previous-token head (L0H0) writes "the token before me" into its own
// subspace; an induction head (L1H0) matches its query token against that
// subspace through its KEY and copies the token after the match. L0H1 and
// L1H1 are decoys that read and write a junk subspace the unembedding does
// not read. The only edge that carries the answer is L0H0 -> L1H0 via k.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "interp/path_patching.hpp"

namespace hc {
namespace path_patching_test {

constexpr int V = 6, T = 6, D = 5 * 6, H = 2, E = 6;
constexpr int kTok = 0, kPos = 6, kPrev = 12, kOut = 18, kJunk = 24;
constexpr float c = 40.f;  // sharp attention

Model<float> induction_model() {
  ModelConfig cfg;
  cfg.n_layers = 2;
  cfg.d_model = D;
  cfg.n_heads = H;
  cfg.d_head = E;
  cfg.d_vocab = V;
  cfg.n_ctx = T;
  cfg.pos_embed = true;
  Model<float> m(cfg);
  std::fill(m.params().begin(), m.params().end(), 0.f);
  auto W = [&](ParamKind k, int layer, int head, int rows, int cols, int r, int col) -> float& {
    return m.param(k, layer)[(size_t(head) * rows + r) * cols + col];
  };
  for (int t = 0; t < V; ++t) m.param(ParamKind::W_E)[size_t(t) * D + kTok + t] = 1;
  for (int p = 0; p < T; ++p) m.param(ParamKind::W_pos)[size_t(p) * D + kPos + p] = 1;
  // L0H0: query at p matches the key at p - 1; copies the token into kPrev.
  for (int p = 0; p < T; ++p) W(ParamKind::W_Q, 0, 0, D, E, kPos + p, p) = c;
  for (int j = 0; j + 1 < T; ++j) W(ParamKind::W_K, 0, 0, D, E, kPos + j, j + 1) = 1;
  for (int t = 0; t < V; ++t) {
    W(ParamKind::W_V, 0, 0, D, E, kTok + t, t) = 1;
    W(ParamKind::W_O, 0, 0, E, D, t, kPrev + t) = 1;
    // L0H1: uniform attention, tokens into the junk subspace.
    W(ParamKind::W_V, 0, 1, D, E, kTok + t, t) = 1;
    W(ParamKind::W_O, 0, 1, E, D, t, kJunk + t) = 1;
    // L1H0: query token against the key's previous token; copies the key's token into kOut.
    W(ParamKind::W_Q, 1, 0, D, E, kTok + t, t) = c;
    W(ParamKind::W_K, 1, 0, D, E, kPrev + t, t) = 1;
    W(ParamKind::W_V, 1, 0, D, E, kTok + t, t) = 1;
    W(ParamKind::W_O, 1, 0, E, D, t, kOut + t) = 1;
    // L1H1: junk in, junk out.
    W(ParamKind::W_Q, 1, 1, D, E, kJunk + t, t) = 1;
    W(ParamKind::W_K, 1, 1, D, E, kJunk + t, t) = 1;
    W(ParamKind::W_V, 1, 1, D, E, kJunk + t, t) = 1;
    W(ParamKind::W_O, 1, 1, E, D, t, kJunk + t) = 1;
    m.param(ParamKind::W_U)[size_t(kOut + t) * V + t] = 10;
  }
  return m;
}

Example example(const std::vector<int32_t>& body, int i) {  // body: x1..x4 at positions 1..4; query x_i
  Example ex;
  ex.seq = {0};
  ex.seq.insert(ex.seq.end(), body.begin(), body.end());
  ex.seq.push_back(body[size_t(i - 1)]);
  for (int p = 1; p <= 4; ++p)
    if (body[size_t(p - 1)] == body[size_t(i - 1)]) ex.answer = body[size_t(p)];  // the token after the match
  ex.seq.push_back(ex.answer);
  ex.query_pos = 5;
  ex.loss_pos = {5};
  return ex;
}

// Clean: BOS x1 x2 x3 x4 x_i -> x_{i+1}. Corrupted: x_i swapped with x_j, so
// that the match (and the answer) moves; the query token stays.
void pairs(Dataset& clean, Dataset& corrupted) {
  Rng rng(5);
  for (int n = 0; n < 200; ++n) {
    std::vector<int32_t> tok = {1, 2, 3, 4, 5};
    for (int k = 4; k > 0; --k) std::swap(tok[size_t(k)], tok[rng.below(uint32_t(k + 1))]);
    std::vector<int32_t> body(tok.begin(), tok.begin() + 4);
    const int i = 1 + int(rng.below(3));
    int j = 1 + int(rng.below(2));
    if (j >= i) ++j;
    clean.examples.push_back(example(body, i));
    std::swap(body[size_t(i - 1)], body[size_t(j - 1)]);
    corrupted.examples.push_back(example(body, j));
    ASSERT_EQ(clean.examples.back().seq[5], corrupted.examples.back().seq[5]);
    ASSERT_NE(clean.examples.back().answer, corrupted.examples.back().answer);
  }
  clean.source = "induction pairs";
  corrupted.source = "induction pairs, corrupted";
}

TEST(PathPatching, FindsThePreviousTokenToInductionEdgeThroughKeyOnly) {
  const Model<float> m = induction_model();
  Dataset clean, corrupted;
  pairs(clean, corrupted);
  const PathPatchingResult r = path_patching(m, clean, corrupted, PatchMetric::logit_diff, 2);
  // The model solves the task: clean logit difference about +10, corrupted -10.
  EXPECT_GT(r.clean, 9.0);
  EXPECT_LT(r.corrupted, -9.0);
  const double edge = r.effect(r.at(0, 2, CompositionKind::k));
  EXPECT_GT(edge, 0.5);
  int others = 0;
  for (int s = 0; s < 2; ++s)
    for (int q = 2; q < 4; ++q)
      for (int k = 0; k < 3; ++k) {
        if (s == 0 && q == 2 && k == 1) continue;
        ++others;
        EXPECT_LT(std::abs(r.effect(r.at(s, q, CompositionKind(k)))), 0.05)
            << "L0H" << s << " -> L1H" << (q - 2) << " via " << composition_kind_name(CompositionKind(k));
      }
  EXPECT_EQ(others, 11);
  // No edge within a layer or backwards.
  EXPECT_TRUE(std::isnan(r.at(2, 0, CompositionKind::q)));
  EXPECT_TRUE(std::isnan(r.at(0, 1, CompositionKind::v)));
}

TEST(PathPatching, BadRequestsAreClearErrors) {
  const Model<float> m = induction_model();
  Dataset clean, corrupted;
  pairs(clean, corrupted);
  auto message = [&](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { path_patch_logits(m, clean, corrupted, 0, 5, 1, 0, CompositionKind::k, 1); })
                .find("the sender's head 5 is out of range: this model has 2 heads per layer"),
            std::string::npos);
  EXPECT_NE(message([&] { path_patch_logits(m, clean, corrupted, 1, 0, 1, 1, CompositionKind::k, 1); })
                .find("must be in a later layer than the sender"),
            std::string::npos);
  ModelConfig one = m.config();
  one.n_layers = 1;
  Model<float> m1(one);
  m1.init(1);
  EXPECT_NE(message([&] { path_patch_logits(m1, clean, corrupted, 0, 0, 1, 0, CompositionKind::q, 1); })
                .find("the receiver's layer 1 is out of range: this model has 1 layer(s), numbered from 0 (path "
                      "patching needs a model with at least 2 layers)"),
            std::string::npos);
  EXPECT_NE(message([&] { path_patching(m1, clean, corrupted, PatchMetric::logit_diff, 1); })
                .find("at least 2 layers"),
            std::string::npos);
}

}  // namespace path_patching_test
}  // namespace hc
