// Logit lens: the last stage is the model's own accuracy at the query; the
// embedding stage equals a plain read of embed + pos through the unembedding.
#include <gtest/gtest.h>

#include "interp/logit_lens.hpp"
#include "interp/patch.hpp"
#include "random_model.hpp"

namespace hc {
namespace logit_lens_test {

TEST(LogitLens, LastStageIsTheModelAndFirstIsTheEmbedding) {
  TaskConfig c;
  c.name = "count-unique";
  auto task = make_task(c);
  const Model<float> m = testing::random_biased_model(*task, 2, 16, 3);
  const Dataset data = generate(*task, Split::Test, 300, 2, 1);
  const LogitLens r = logit_lens(m, data, 2);
  ASSERT_EQ(r.stages.size(), 3u);
  PatchOptions o;
  EXPECT_DOUBLE_EQ(r.accuracy[2], clean_metric(m, data, o));
  const ModelConfig& mc = m.config();
  const int D = mc.d_model, V = mc.d_vocab;
  int right = 0;
  for (const auto& ex : data.examples) {
    std::vector<float> z(static_cast<size_t>(V));
    for (int v = 0; v < V; ++v) {
      float s = m.param(ParamKind::b_U)[v];
      for (int d = 0; d < D; ++d)
        s += (m.param(ParamKind::W_E)[size_t(ex.seq[size_t(ex.query_pos)]) * D + d] +
              m.param(ParamKind::W_pos)[size_t(ex.query_pos) * D + d]) *
             m.param(ParamKind::W_U)[size_t(d) * V + v];
      z[size_t(v)] = s;
    }
    right += metric_value(Metric::accuracy, z.data(), V, ex.answer) > 0.5;
  }
  EXPECT_DOUBLE_EQ(r.accuracy[0], double(right) / double(data.examples.size()));
  ASSERT_EQ(r.class_accuracy.size(), 3 * r.classes.size());
}

}  // namespace logit_lens_test
}  // namespace hc
