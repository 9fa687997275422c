// Direct logit attribution: the parts add up to the model's own logit (and the
// margin) for random models with biases and positions, 1 and 2 layers, and on
// the PyTorch fixture.
#include <gtest/gtest.h>

#include <cmath>

#include "../fixtures.hpp"
#include "random_model.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "interp/dla.hpp"
#include "io/layouts.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {
namespace interp_dla_test {  // this file's own names (unity builds batch test files)
Model<float> random_model(const Task& task, int layers, uint64_t seed) {
  return testing::random_biased_model(task, layers, 16, seed);
}

// Mean correct logit and mean margin over the runner-up, from the fast forward
// (an independent code path from the cached activations DLA reads).
std::pair<double, double> mean_logit_and_margin(Model<float>& m, const Dataset& ds) {
  Batch b;
  b.B = int(ds.examples.size());
  b.T = m.config().n_ctx;
  b.P = 1;
  for (const Example& ex : ds.examples) {
    b.tokens.insert(b.tokens.end(), ex.seq.begin(), ex.seq.begin() + b.T);
    b.rows.push_back(ex.query_pos);
  }
  std::vector<float> out;
  m.logits(b, out, 1);
  const int V = m.config().d_vocab;
  double sum = 0, margin = 0;
  for (size_t i = 0; i < ds.examples.size(); ++i) {
    const float* z = out.data() + i * V;
    const int t = ds.examples[i].answer;
    double best = -1e30;
    for (int v = 0; v < V; ++v)
      if (v != t) best = std::max(best, double(z[v]));
    sum += z[t];
    margin += z[t] - best;
  }
  const double n = double(ds.examples.size());
  return {sum / n, margin / n};
}

void expect_parts_add_up(Model<float>& m, const Task& task, const Dataset& ds) {
  const DlaResult r = dla(m, task, ds);
  const nlohmann::json& s = r.summary;
  EXPECT_LT(s["max_abs_residual"].get<double>(), 1e-4);  // per example, parts vs the forward's logit
  double sum = 0, msum = 0, shares = 0, mshares = 0;
  for (const auto& [k, v] : s["mean_parts"].items()) sum += v.get<double>();
  for (const auto& [k, v] : s["mean_margin_parts"].items()) msum += v.get<double>();
  for (const auto& [k, v] : s["shares"].items()) shares += v.get<double>();
  for (const auto& [k, v] : s["margin_shares"].items()) mshares += v.get<double>();
  const auto [logit, margin] = mean_logit_and_margin(m, ds);
  EXPECT_NEAR(sum, logit, 1e-4);
  EXPECT_NEAR(msum, margin, 1e-4);
  EXPECT_NEAR(s["mean_logit"].get<double>(), logit, 1e-4);
  EXPECT_NEAR(shares, 100.0, 1e-6);
  EXPECT_NEAR(mshares, 100.0, 1e-6);
  EXPECT_EQ(s["n_examples"].get<size_t>(), ds.examples.size());
  for (const Table& t : r.tables) EXPECT_NE(t.dataset.find(std::to_string(ds.examples.size())), std::string::npos);
}

TEST(Dla, PartsSumToLogitForRandomModelsWithBiasesAndPositions) {
  for (const char* name : {"max-of-list", "count01"}) {
    TaskConfig tc;
    tc.name = name;
    auto task = make_task(tc);
    const Dataset ds = generate(*task, Split::Test, 300, 5, 0);
    for (int layers : {1, 2}) {
      SCOPED_TRACE(std::string(name) + ", layers " + std::to_string(layers));
      Model<float> m = random_model(*task, layers, 11 + layers);
      expect_parts_add_up(m, *task, ds);
      const DlaResult r = dla(m, *task, ds);
      // Every part is there: embed, pos, each head of each layer, bias.
      EXPECT_EQ(r.summary["shares"].size(), size_t(3 + 3 * layers));
      EXPECT_TRUE(r.summary["shares"].contains("bias"));
      EXPECT_TRUE(r.summary["shares"].contains(layers == 1 ? "head2" : "L1H2"));
    }
  }
}

TEST(Dla, PartsSumToLogitOnPyTorchFixture) {
  TaskConfig tc;
  auto task = make_task(tc);
  Model<float> m = testing::fixture_model("max_of_list_torch.safetensors", *task);
  const Dataset ds = load_text(*task, testing::fixture("max_of_list_torch.test.txt"));
  expect_parts_add_up(m, *task, ds);
  const DlaResult r = dla(m, *task, ds);
  EXPECT_EQ(r.summary["shares"].size(), 6u);  // embed, pos, head0..head3; no biases in the puzzle layout
}

TEST(Dla, OtherPositionAttributesTheNextToken) {
  TaskConfig tc;
  auto task = make_task(tc);
  const Dataset ds = generate(*task, Split::Test, 50, 3, 0);
  Model<float> m = random_model(*task, 1, 3);
  // At ANS + 1 the target is EOS; the parts still add up to that logit.
  const DlaResult r = dla(m, *task, ds, ds.examples[0].query_pos + 1);
  EXPECT_LT(r.summary["max_abs_residual"].get<double>(), 1e-4);
  for (const auto& row : r.tables[1].rows) EXPECT_EQ(row[0], "EOS");
}

TEST(Dla, EmptyDataSetAndBadPositionAreErrors) {
  TaskConfig tc;
  auto task = make_task(tc);
  Model<float> m = random_model(*task, 1, 3);
  Dataset empty;
  empty.source = "empty.txt";
  try {
    dla(m, *task, empty);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty.txt"), std::string::npos);
  }
  EXPECT_THROW(dla(m, *task, generate(*task, Split::Test, 5, 1, 0), task->n_ctx()), Error);
}

}  // namespace interp_dla_test
}  // namespace hc
