#include "io/layouts.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "../fixtures.hpp"
#include "core/error.hpp"
#include "model/params.hpp"

namespace hc {
namespace io_layouts_test {  // this file's own names (unity builds batch test files)
using hc::testing::fixture;

std::vector<float> random_params(const ModelConfig& cfg, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  std::vector<float> p(ParamTable(cfg).total());
  for (auto& x : p) x = nd(gen);
  return p;
}

ModelConfig small_cfg(int L, bool pos, bool biases) {
  ModelConfig c;
  c.n_layers = L, c.d_model = 8, c.n_heads = 3, c.d_head = 5, c.d_vocab = 6, c.n_ctx = 7;
  c.pos_embed = pos, c.biases = biases;
  return c;
}

void expect_same_config(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(to_json(a).dump(), to_json(b).dump());
}

// The hc::Error message of `fn`, or "" if it did not throw.
template <class F>
std::string error_of(F fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_CONTAINS(msg, phrase) \
  EXPECT_NE(std::string(msg).find(phrase), std::string::npos) << "expected '" << (phrase) << "' in: " << (msg)

st::File reparse(const st::File& f, const std::string& source = "mem.safetensors") {
  return st::parse(st::serialize(f), source);
}

st::File without(const st::File& f, const std::string& name) {
  st::File g = f;
  std::erase_if(g.tensors, [&](const st::Tensor& t) { return t.name == name; });
  return g;
}

TEST(Layout, ParseAndName) {
  EXPECT_EQ(parse_layout("native"), Layout::Native);
  EXPECT_EQ(parse_layout("transformer-lens"), Layout::Native);
  EXPECT_EQ(parse_layout("tl"), Layout::Native);
  EXPECT_EQ(parse_layout("puzzle"), Layout::Puzzle);
  EXPECT_EQ(layout_name(Layout::Native), "native");
  EXPECT_EQ(layout_name(Layout::Puzzle), "puzzle");
  EXPECT_EQ(error_of([] { parse_layout("keras"); }), "unknown layout 'keras' (use native, transformer-lens or puzzle)");
}

TEST(Layout, DetectFailsWithTensorNamesAndAdvice) {
  st::File f;
  f.source = "odd.safetensors";
  const float x[] = {1.0f};
  f.tensors.push_back(st::Tensor::from_f32("wte.weight", {1}, x));
  const std::string m = error_of([&] { detect_layout(f); });
  EXPECT_CONTAINS(m, "odd.safetensors");
  EXPECT_CONTAINS(m, "wte.weight");
  EXPECT_CONTAINS(m, "--layout");
}

TEST(Layout, PuzzleFixtureLoadsAndMapsExactly) {
  const st::File raw = st::read(fixture("max_of_list_torch.safetensors"));
  EXPECT_EQ(detect_layout(raw), Layout::Puzzle);
  const LoadedWeights w = load_weights(raw, std::nullopt, {});
  const ModelConfig& c = w.config;
  EXPECT_EQ(w.layout, Layout::Puzzle);
  EXPECT_EQ(c.n_layers, 1);
  EXPECT_EQ(c.d_model, 64);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_EQ(c.d_head, 16);
  EXPECT_EQ(c.d_vocab, 14);
  EXPECT_EQ(c.n_ctx, 12);
  EXPECT_TRUE(c.pos_embed);
  EXPECT_FALSE(c.biases);
  ASSERT_EQ(w.params.size(), 18944u);
  EXPECT_EQ(w.metadata.at("vocab_size"), "14");

  const ParamTable t(c);
  const float* p = w.params.data();
  const auto tok = raw.get("tok_embed.weight").to_f32();
  const auto pos = raw.get("pos_embed.weight").to_f32();
  const auto wo = raw.get("layers.0.W_O.weight").to_f32();
  const auto wu = raw.get("unembed.weight").to_f32();
  EXPECT_EQ(std::memcmp(p + t.get(ParamKind::W_E).offset, tok.data(), tok.size() * 4), 0);
  EXPECT_EQ(std::memcmp(p + t.get(ParamKind::W_pos).offset, pos.data(), pos.size() * 4), 0);
  const int D = 64, E = 16, H = 4, V = 14;
  for (int h = 0; h < H; ++h) {
    const auto q = raw.get("layers.0.heads." + std::to_string(h) + ".W_Q.weight").to_f32();
    const auto v = raw.get("layers.0.heads." + std::to_string(h) + ".W_V.weight").to_f32();
    for (int d = 0; d < D; ++d)
      for (int e = 0; e < E; ++e) {
        ASSERT_EQ(p[t.get(ParamKind::W_Q, 0).offset + (h * D + d) * E + e], q[e * D + d]);
        ASSERT_EQ(p[t.get(ParamKind::W_V, 0).offset + (h * D + d) * E + e], v[e * D + d]);
        ASSERT_EQ(p[t.get(ParamKind::W_O, 0).offset + (h * E + e) * D + d], wo[d * H * E + h * E + e]);
      }
  }
  const auto k2 = raw.get("layers.0.heads.2.W_K.weight").to_f32();
  EXPECT_EQ(p[t.get(ParamKind::W_K, 0).offset + (2 * D + 5) * E + 7], k2[7 * D + 5]);
  for (int d = 0; d < D; ++d)
    for (int v = 0; v < V; ++v) ASSERT_EQ(p[t.get(ParamKind::W_U).offset + d * V + v], wu[v * D + d]);
}

TEST(Layout, Count01FixtureLoadsAsNativeWithoutPositions) {
  const LoadedWeights w = load_weights(fixture("count01_tl.safetensors"), std::nullopt, {});
  const ModelConfig& c = w.config;
  EXPECT_EQ(w.layout, Layout::Native);
  EXPECT_EQ(c.n_layers, 1);
  EXPECT_EQ(c.d_model, 32);
  EXPECT_EQ(c.n_heads, 16);
  EXPECT_EQ(c.d_head, 2);
  EXPECT_EQ(c.d_vocab, 8);
  EXPECT_EQ(c.n_ctx, 22);
  EXPECT_FALSE(c.pos_embed);
  // Every bias tensor in this file (b_Q/b_K/b_V too, not only b_O and b_U) is
  // exactly zero, so it loads as a bias-free model: numerically the same.
  EXPECT_FALSE(c.biases);
  ASSERT_EQ(w.notes.size(), 2u);
  EXPECT_CONTAINS(w.notes[0], "pos_embed.W_pos is all zeros");
  EXPECT_CONTAINS(w.notes[1], "all bias tensors are zero");
  const st::File raw = st::read(fixture("count01_tl.safetensors"));
  const ParamTable t(c);
  ASSERT_EQ(w.params.size(), t.total());
  for (const auto& e : t.entries()) {
    const auto v = raw.get(e.name).to_f32();
    ASSERT_EQ(std::memcmp(w.params.data() + e.offset, v.data(), v.size() * 4), 0) << e.name;
  }
}

TEST(Layout, NativeSaveWritesExactTransformerLensNamesAndShapes) {
  const ModelConfig cfg = small_cfg(2, true, true);
  const auto params = random_params(cfg, 1);
  const std::string path = ::testing::TempDir() + "/hc_native_names.safetensors";
  save_native(path, cfg, params.data(), {{"task", "max-of-list"}});
  const st::File f = st::read(path);
  std::filesystem::remove(path);
  // V6 D8 H3 E5 T7
  const std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
      {"embed.W_E", {6, 8}},           {"pos_embed.W_pos", {7, 8}},
      {"blocks.0.attn.W_Q", {3, 8, 5}}, {"blocks.0.attn.W_K", {3, 8, 5}}, {"blocks.0.attn.W_V", {3, 8, 5}},
      {"blocks.0.attn.W_O", {3, 5, 8}}, {"blocks.0.attn.b_Q", {3, 5}},    {"blocks.0.attn.b_K", {3, 5}},
      {"blocks.0.attn.b_V", {3, 5}},    {"blocks.0.attn.b_O", {8}},
      {"blocks.1.attn.W_Q", {3, 8, 5}}, {"blocks.1.attn.W_K", {3, 8, 5}}, {"blocks.1.attn.W_V", {3, 8, 5}},
      {"blocks.1.attn.W_O", {3, 5, 8}}, {"blocks.1.attn.b_Q", {3, 5}},    {"blocks.1.attn.b_K", {3, 5}},
      {"blocks.1.attn.b_V", {3, 5}},    {"blocks.1.attn.b_O", {8}},
      {"unembed.W_U", {8, 6}},          {"unembed.b_U", {6}}};
  ASSERT_EQ(f.tensors.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(f.tensors[i].name, expected[i].first);
    EXPECT_EQ(f.tensors[i].shape, expected[i].second) << expected[i].first;
    EXPECT_EQ(f.tensors[i].dtype, st::DType::F32);
  }
  EXPECT_EQ(f.metadata.at("task"), "max-of-list");
  EXPECT_EQ(f.metadata.at("headcount.model_config"), to_json(cfg).dump());
}

TEST(Layout, NativeRoundTripIsBitIdentical) {
  for (bool pos : {true, false})
    for (bool biases : {true, false}) {
      ModelConfig cfg = small_cfg(2, pos, biases);
      cfg.init_std = 0.05;
      const auto params = random_params(cfg, 2);
      const LoadedWeights w = load_weights(reparse(to_native_file(cfg, params.data(), {})), std::nullopt, {});
      expect_same_config(w.config, cfg);
      ASSERT_EQ(w.params.size(), params.size());
      EXPECT_EQ(std::memcmp(w.params.data(), params.data(), params.size() * 4), 0);
    }
}

TEST(Layout, NativeWithoutConfigMetadataInfersFlagsAndAcceptsOtherFloatTypes) {
  const ModelConfig cfg = small_cfg(1, true, true);
  auto params = random_params(cfg, 3);
  st::File f = to_native_file(cfg, params.data(), {});
  f.metadata.clear();
  // Store W_E as F64: converted back to the same floats.
  const auto we = f.get("embed.W_E").to_f64();
  for (auto& t : f.tensors)
    if (t.name == "embed.W_E") t = st::Tensor::from_f64(t.name, t.shape, we.data());
  // Zero every bias but b_U, and drop b_O: biases stay on, b_O is filled with zeros.
  const ParamTable table(cfg);
  for (auto& t : f.tensors)
    if (t.name.find(".b_") != std::string::npos) {
      std::vector<float> z(size_t(t.numel()), 0.0f);
      t = st::Tensor::from_f32(t.name, t.shape, z.data());
      for (const auto& e : table.entries())
        if (e.name == t.name) std::fill_n(params.begin() + long(e.offset), e.size, 0.0f);
    }
  f = without(f, "blocks.0.attn.b_O");
  const float bu[6] = {0, 0, 1, 0, 0, 0};
  for (auto& t : f.tensors)
    if (t.name == "unembed.b_U") t = st::Tensor::from_f32(t.name, t.shape, bu);
  std::copy_n(bu, 6, params.begin() + long(table.get(ParamKind::b_U).offset));
  const LoadedWeights w = load_weights(reparse(f), Layout::Native, {});
  EXPECT_TRUE(w.config.biases);
  EXPECT_TRUE(w.config.pos_embed);
  EXPECT_EQ(w.params, params);

  // With every bias zero the model loads without biases, and says so.
  st::File g = f;
  for (auto& t : g.tensors)
    if (t.name == "unembed.b_U") t = st::Tensor::from_f32(t.name, t.shape, std::vector<float>(6, 0.0f).data());
  const LoadedWeights w2 = load_weights(reparse(g), Layout::Native, {});
  EXPECT_FALSE(w2.config.biases);
  EXPECT_EQ(w2.params.size(), ParamTable(w2.config).total());
  EXPECT_CONTAINS(w2.notes.back(), "bias");
}

TEST(Layout, NativeWithoutPositionsNeedsTaskContext) {
  const ModelConfig cfg = small_cfg(1, true, false);
  const auto params = random_params(cfg, 4);
  st::File f = without(to_native_file(cfg, params.data(), {}), "pos_embed.W_pos");
  f.metadata.clear();
  EXPECT_CONTAINS(error_of([&] { load_weights(reparse(f), std::nullopt, {}); }), "--task");
  ModelHints h;
  h.n_ctx = 11;
  const LoadedWeights w = load_weights(reparse(f), std::nullopt, h);
  EXPECT_EQ(w.config.n_ctx, 11);
  EXPECT_FALSE(w.config.pos_embed);
}

TEST(Layout, NativeIgnoresTransformerLensBuffersButRejectsOtherTensors) {
  const ModelConfig cfg = small_cfg(1, true, false);
  const auto params = random_params(cfg, 5);
  st::File f = to_native_file(cfg, params.data(), {});
  const uint8_t mask[4] = {1, 0, 1, 1};
  f.tensors.push_back(st::Tensor::from_u8("blocks.0.attn.mask", {2, 2}, mask));
  const LoadedWeights w = load_weights(reparse(f), std::nullopt, {});
  ASSERT_FALSE(w.notes.empty());
  EXPECT_CONTAINS(w.notes[0], "blocks.0.attn.mask");
  const float x[4] = {};
  f.tensors.push_back(st::Tensor::from_f32("blocks.0.mlp.W_in", {2, 2}, x));
  EXPECT_CONTAINS(error_of([&] { load_weights(reparse(f), std::nullopt, {}); }), "blocks.0.mlp.W_in");
}

TEST(Layout, NativeMissingTensorAndShapeMismatchAreNamed) {
  const ModelConfig cfg = small_cfg(2, true, false);
  const auto params = random_params(cfg, 6);
  const st::File f = to_native_file(cfg, params.data(), {});
  std::string m = error_of([&] { load_weights(reparse(without(f, "blocks.1.attn.W_V"), "m.safetensors"), std::nullopt, {}); });
  EXPECT_CONTAINS(m, "m.safetensors");
  EXPECT_CONTAINS(m, "'blocks.1.attn.W_V'");

  st::File g = f;
  const std::vector<float> z(3 * 8 * 4, 0.0f);
  for (auto& t : g.tensors)
    if (t.name == "blocks.1.attn.W_K") t = st::Tensor::from_f32(t.name, {3, 8, 4}, z.data());
  m = error_of([&] { load_weights(reparse(g, "s.safetensors"), std::nullopt, {}); });
  EXPECT_CONTAINS(m, "s.safetensors");
  EXPECT_CONTAINS(m, "'blocks.1.attn.W_K'");
  EXPECT_CONTAINS(m, "[3, 8, 4]");
  EXPECT_CONTAINS(m, "[3, 8, 5]");
}

TEST(Layout, VocabularyMismatchWithTaskIsExplained) {
  ModelHints h;
  h.d_vocab = 8;
  h.task_name = "count01";
  const std::string path = fixture("max_of_list_torch.safetensors");
  const std::string m = error_of([&] { load_weights(path, std::nullopt, h); });
  EXPECT_CONTAINS(m, path);
  EXPECT_CONTAINS(m, "vocabulary of 14 tokens but task count01 has 8");
  EXPECT_CONTAINS(m, "--task");
  // A task needing more positions than the embedding covers is refused too.
  ModelHints longer;
  longer.n_ctx = 30;
  EXPECT_CONTAINS(error_of([&] { load_weights(path, std::nullopt, longer); }), "positional embedding for 12");
}

TEST(Layout, PuzzleRoundTripIsBitIdentical) {
  ModelConfig cfg = small_cfg(2, true, false);
  const auto params = random_params(cfg, 7);
  const std::string path = ::testing::TempDir() + "/hc_puzzle_rt.safetensors";
  save_puzzle(path, cfg, params.data(), {{"format", "puzzle-1a"}});
  const st::File f = st::read(path);
  std::filesystem::remove(path);
  EXPECT_EQ(f.get("layers.1.W_O.weight").shape, (std::vector<int64_t>{8, 15}));
  EXPECT_EQ(f.get("layers.1.heads.2.W_V.weight").shape, (std::vector<int64_t>{5, 8}));
  EXPECT_EQ(f.metadata.at("n_layers"), "2");
  const LoadedWeights w = load_weights(f, std::nullopt, {});
  EXPECT_EQ(w.layout, Layout::Puzzle);
  expect_same_config(w.config, cfg);
  EXPECT_EQ(w.params, params);
}

TEST(Layout, PuzzleRejectsBiasesAndInconsistentMetadata) {
  ModelConfig cfg = small_cfg(1, true, false);
  const auto params = random_params(cfg, 8);
  st::File f = to_puzzle_file(cfg, params.data(), {});
  st::File g = f;
  const float b[8] = {};
  g.tensors.push_back(st::Tensor::from_f32("layers.0.W_O.bias", {8}, b));
  EXPECT_CONTAINS(error_of([&] { load_weights(reparse(g), std::nullopt, {}); }), "biases are not supported");
  f.metadata["d_model"] = "16";
  EXPECT_CONTAINS(error_of([&] { load_weights(reparse(f), std::nullopt, {}); }), "metadata d_model = '16'");
  cfg.biases = true;
  EXPECT_CONTAINS(error_of([&] { to_puzzle_file(cfg, random_params(cfg, 9).data(), {}); }), "puzzle layout");
  // Forcing the wrong layout gives a named missing tensor, not garbage.
  EXPECT_CONTAINS(error_of([&] { load_weights(reparse(f), Layout::Native, {}); }), "--layout");
}

}  // namespace io_layouts_test
}  // namespace hc
