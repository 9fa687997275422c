// The two initialisations (ModelConfig::init): "normal" draws every weight
// from N(0, init_std); "puzzle" follows the puzzle series' model.py (embeddings
// and unembedding N(0, 0.02), Q, K, V, O as PyTorch's nn.Linear). Checked by
// the sample statistics of each tensor, and the config's JSON round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "model/model.hpp"

namespace hc {
namespace model_init_test {  // this file's own names (unity builds batch test files)

ModelConfig wide_config(const std::string& init) {
  ModelConfig c;
  c.n_layers = 2, c.d_model = 32, c.n_heads = 4, c.d_head = 8, c.d_vocab = 22, c.n_ctx = 12;
  c.pos_embed = true, c.biases = true;
  c.init = init;
  return c;
}

struct Stats {
  double mean = 0, sd = 0, max_abs = 0;
};

Stats stats_of(const std::vector<double>& p, const ParamInfo& e) {
  Stats s;
  for (size_t i = 0; i < e.size; ++i) s.mean += p[e.offset + i];
  s.mean /= double(e.size);
  for (size_t i = 0; i < e.size; ++i) {
    s.sd += (p[e.offset + i] - s.mean) * (p[e.offset + i] - s.mean);
    s.max_abs = std::max(s.max_abs, std::abs(p[e.offset + i]));
  }
  s.sd = std::sqrt(s.sd / double(e.size - 1));
  return s;
}

TEST(ModelInit, PuzzleInitHasTheScalesOfThePuzzleModel) {
  const ModelConfig c = wide_config("puzzle");
  Model<double> m(c);
  m.init(3);
  int checked = 0;
  for (const auto& e : m.table().entries()) {
    const Stats s = stats_of(m.params(), e);
    const double se = 4.0 / std::sqrt(double(e.size));  // ~4 standard errors of a mean or an sd, relative
    switch (e.kind) {
      case ParamKind::W_E:
      case ParamKind::W_pos:
      case ParamKind::W_U:
        EXPECT_NEAR(s.sd, 0.02, 0.02 * se) << e.name;
        EXPECT_NEAR(s.mean, 0.0, 0.02 * se) << e.name;
        ++checked;
        break;
      case ParamKind::W_Q:
      case ParamKind::W_K:
      case ParamKind::W_V:
      case ParamKind::W_O: {
        const double fan_in = e.kind == ParamKind::W_O ? double(c.n_heads * c.d_head) : double(c.d_model);
        const double b = 1.0 / std::sqrt(fan_in);
        EXPECT_LE(s.max_abs, b) << e.name << ": U(-b, b) never leaves [-b, b]";
        EXPECT_GT(s.max_abs, 0.97 * b) << e.name << ": a uniform sample of this size reaches near b";
        EXPECT_NEAR(s.sd, b / std::sqrt(3.0), b / std::sqrt(3.0) * se) << e.name << ": sd of U(-b, b) is b/sqrt(3)";
        ++checked;
        break;
      }
      default:  // biases
        EXPECT_EQ(s.max_abs, 0.0) << e.name << ": biases start at zero";
    }
  }
  EXPECT_EQ(checked, 3 + 2 * 4);  // W_E, W_pos, W_U and four matrices in each of two layers
}

TEST(ModelInit, NormalInitIsUnchangedAndUsesInitStd) {
  ModelConfig c = wide_config("normal");
  c.init_std = 0.3;
  Model<double> m(c);
  m.init(3);
  for (const auto& e : m.table().entries()) {
    if (e.kind == ParamKind::b_Q || e.kind == ParamKind::b_K || e.kind == ParamKind::b_V ||
        e.kind == ParamKind::b_O || e.kind == ParamKind::b_U)
      continue;
    const Stats s = stats_of(m.params(), e);
    EXPECT_NEAR(s.sd, 0.3, 0.3 * 4.0 / std::sqrt(double(e.size))) << e.name;
  }
  // The two inits draw different weights from the same seed.
  ModelConfig p = wide_config("puzzle");
  Model<double> q(p);
  q.init(3);
  EXPECT_NE(m.params(), q.params());
}

TEST(ModelInit, ConfigJsonKeepsTheInitAndOmitsTheDefault) {
  const ModelConfig normal = wide_config("normal");
  EXPECT_FALSE(to_json(normal).contains("init")) << "normal-init configs stay as they were before the field";
  EXPECT_EQ(model_config_from_json(to_json(normal), "test").init, "normal");
  const ModelConfig puzzle = wide_config("puzzle");
  EXPECT_EQ(to_json(puzzle)["init"], "puzzle");
  EXPECT_EQ(model_config_from_json(to_json(puzzle), "test").init, "puzzle");
}

TEST(ModelInit, BadInitsAreRefusedByName) {
  ModelConfig c = wide_config("xavier");
  try {
    c.validate();
    FAIL() << "an unknown init was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("init = 'xavier' must be normal or puzzle"), std::string::npos) << e.what();
  }
  c = wide_config("puzzle");
  c.init_std = 0.1;
  try {
    c.validate();
    FAIL() << "--init-std with --init puzzle was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--init-std"), std::string::npos) << e.what();
  }
}

}  // namespace model_init_test
}  // namespace hc
