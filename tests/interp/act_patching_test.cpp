// Activation patching: everything patched from the clean run gives the clean
// metric exactly, nothing patched the corrupted one, and one head patched
// equals a hooked forward built here by hand.
#include <gtest/gtest.h>

#include <cstring>

#include "core/error.hpp"
#include "interp/act_patching.hpp"
#include "random_model.hpp"
#include "tasks/corruption.hpp"

namespace hc {
namespace act_patching_test {

struct Pairs {
  std::unique_ptr<Task> task;
  CorruptedPairs pairs;
};

Pairs make_pairs() {
  TaskConfig c;
  c.name = "count-unique";
  Pairs s;
  s.task = make_task(c);
  s.pairs = corrupted_pairs(*s.task, generate(*s.task, Split::Test, 300, 5, 1), 2);
  return s;
}

// Logits at the query rows of a plain Full forward of data, with hooks.
std::vector<float> forward(const Model<float>& m, const Dataset& data, const Hooks<float>* hooks) {
  const int T = m.config().n_ctx;
  std::vector<int32_t> tokens, rows;
  for (const auto& ex : data.examples) {
    tokens.insert(tokens.end(), ex.seq.begin(), ex.seq.begin() + T);
    rows.push_back(ex.query_pos);
  }
  Activations<float> a;
  m.run_full(tokens.data(), int(data.examples.size()), rows.data(), 1, hooks, a);
  return a.logits;
}

TEST(ActPatching, EverythingGivesCleanNothingGivesCorrupted) {
  const Pairs s = make_pairs();
  const Model<float> m = testing::random_biased_model(*s.task, 2, 16, 11);
  for (PatchMetric metric : {PatchMetric::logit_diff, PatchMetric::accuracy}) {
    ActPatcher p(m, s.pairs.clean, s.pairs.corrupted, metric, 2);
    // The whole input (layer 0's residual at every position) from the clean run.
    EXPECT_EQ(p.metric(p.logits({{{Site::resid_pre, 0}, {-1, -1}}})), p.clean_value());
    // The embedding and every head's z: the same, through the heads.
    EXPECT_EQ(p.metric(p.logits({{{Site::embed, -1}, {-1, -1}},
                                 {{Site::pos_embed, -1}, {-1, -1}},
                                 {{Site::z, 0}, {-1, -1}},
                                 {{Site::z, 1}, {-1, -1}}})),
              p.clean_value());
    EXPECT_EQ(p.metric(p.logits({})), p.corrupted_value());
    // The two ends are the unpatched runs.
    EXPECT_EQ(p.metric(forward(m, s.pairs.clean, nullptr)), p.clean_value());
    EXPECT_EQ(p.metric(forward(m, s.pairs.corrupted, nullptr)), p.corrupted_value());
    EXPECT_NE(p.clean_value(), p.corrupted_value());
    EXPECT_DOUBLE_EQ(p.normalised(p.clean_value()), 1.0);
    EXPECT_DOUBLE_EQ(p.normalised(p.corrupted_value()), 0.0);
  }
}

TEST(ActPatching, OneHeadEqualsAHandBuiltHookedForward) {
  const Pairs s = make_pairs();
  const Model<float> m = testing::random_biased_model(*s.task, 2, 16, 12);
  const int H = m.config().n_heads, E = m.config().d_head;
  ActPatchingResult all = activation_patching_all(m, s.pairs.clean, s.pairs.corrupted, PatchMetric::logit_diff, 2);
  ActPatcher p(m, s.pairs.clean, s.pairs.corrupted, PatchMetric::logit_diff, 1);
  for (int layer = 0; layer < 2; ++layer)
    for (int head = 0; head < H; ++head) {
      // Clean z of this layer, captured by an observer on a plain forward.
      std::vector<float> clean_z;
      Hooks<float> grab;
      grab.observer = [&](const HookKey& k, const HookView<float>& v) {
        if (k == HookKey{Site::z, layer}) clean_z.assign(v.data, v.data + v.numel());
      };
      forward(m, s.pairs.clean, &grab);
      Hooks<float> put;
      put.add({Site::z, layer}, [&](HookView<float>& v) {  // [B,R,H,E]
        for (int64_t r = 0; r < int64_t(v.shape[0]) * v.shape[1]; ++r)
          std::memcpy(v.data + (r * H + head) * E, clean_z.data() + (r * H + head) * E, sizeof(float) * E);
      });
      const std::vector<float> want = forward(m, s.pairs.corrupted, &put);
      const std::vector<float> got = p.logits({{{Site::z, layer}, {head, -1}}});
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) ASSERT_FLOAT_EQ(got[i], want[i]) << layer << " " << head << " " << i;
      EXPECT_DOUBLE_EQ(all.head[size_t(layer * H + head)], p.metric(want));
    }
}

TEST(ActPatching, BadRequestsAreClearErrors) {
  const Pairs s = make_pairs();
  const Model<float> m = testing::random_biased_model(*s.task, 2, 16, 13);
  auto message = [&](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // Inputs of different lengths (count01 strings of 3 and 4 symbols).
  TaskConfig cc;
  cc.name = "count01";
  auto c01 = make_task(cc);
  Dataset a, b;
  a.source = "a.txt";
  b.source = "b.txt";
  a.examples.push_back(c01->parse("0 1 1 = 5 EOS", 1));
  b.examples.push_back(c01->parse("0 0 0 1 = 4 EOS", 1));
  Model<float> m01 = testing::random_biased_model(*c01, 2, 8, 1);
  EXPECT_NE(message([&] { ActPatcher(m01, a, b, PatchMetric::logit_diff, 1); })
                .find("pair 1: the clean input has 3 tokens before its query and the corrupted input 4"),
            std::string::npos);
  ActPatcher p(m, s.pairs.clean, s.pairs.corrupted, PatchMetric::logit_diff, 1);
  EXPECT_NE(message([&] { p.logits({{{Site::z, 0}, {7, -1}}}); })
                .find("head 7 is out of range: this model has 3 heads per layer"),
            std::string::npos);
  Dataset fewer = s.pairs.corrupted;
  fewer.examples.pop_back();
  EXPECT_NE(message([&] { ActPatcher(m, s.pairs.clean, fewer, PatchMetric::logit_diff, 1); })
                .find("give as many corrupted inputs as clean ones"),
            std::string::npos);
}

}  // namespace act_patching_test
}  // namespace hc
