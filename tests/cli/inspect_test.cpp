// `headcount inspect`: a prompt without its answer, top-k probabilities,
// every layer's attention (or one), head ablations that can change the
// prediction (checked against the analyses' own ablation setter), and the
// errors for conflicting or malformed options.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "interp/ablation.hpp"

namespace hc {
namespace cli_inspect_test {  // this file's own names (unity builds batch test files)
using testing::fixture;
using testing::run_cli;

const std::string kMol = fixture("max_of_list_torch.safetensors") + " --task max-of-list";

nlohmann::json inspect_json(const std::string& args) {
  const auto r = run_cli("inspect " + args + " --json");
  EXPECT_EQ(r.code, 0) << r.output;
  return nlohmann::json::parse(r.output.substr(std::min(r.output.find('{'), r.output.size())));
}

TEST(Inspect, APromptWithoutItsAnswerIsCompletedByTheTask) {
  const auto p = inspect_json(kMol + " --example \"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS\"");
  EXPECT_EQ(p["example"], "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS");
  EXPECT_EQ(p["answer"], "7");
  EXPECT_EQ(p["query_position"], 10);
  // The whole example gives the same prediction, bit for bit.
  const auto w = inspect_json(kMol + " --example \"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\"");
  EXPECT_EQ(w["prediction"], p["prediction"]);
  EXPECT_EQ(w["probability"], p["probability"]);
  // A Count01 prompt ends at `=`.
  const auto c = inspect_json(fixture("count01_tl.safetensors") + " --task count01 --example \"0 1 1 2 =\"");
  EXPECT_EQ(c["example"], "0 1 1 2 = 5 EOS");
  // Not a prompt: the error names the option and shows one.
  const auto bad = run_cli("inspect " + kMol + " --example \"BOS 3 SEP ANS\"");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.output.find("--example 'BOS 3 SEP ANS'"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("prompt that ends at its query token"), std::string::npos) << bad.output;
}

TEST(Inspect, TopKIsSortedAndIsThePrediction) {
  const auto j = inspect_json(kMol + " --index 3 --top-k 5");
  ASSERT_EQ(j["top_k"].size(), 5u);
  EXPECT_EQ(j["top_k"][0]["token"], j["prediction"]);
  EXPECT_EQ(j["top_k"][0]["probability"], j["probability"]);
  double sum = 0;
  for (size_t i = 0; i < 5; ++i) {
    sum += j["top_k"][i]["probability"].get<double>();
    if (i) {
      EXPECT_GE(j["top_k"][i - 1]["probability"].get<double>(), j["top_k"][i]["probability"].get<double>());
    }
  }
  EXPECT_LE(sum, 1.0 + 1e-9);
  EXPECT_NE(run_cli("inspect " + kMol + " --top-k 0").code, 0);
}

TEST(Inspect, ShowsEveryLayersAttentionOrTheOneAskedFor) {
  const std::string dir = testing::temp_dir("inspect-two-layers");
  auto t = run_cli("train --task max-of-list --layers 2 --d-model 16 --heads 2 --steps 5 --eval-size 50 --quiet --out " + dir + "/run");
  ASSERT_EQ(t.code, 0) << t.output;
  const auto all = inspect_json(dir + "/run");
  ASSERT_EQ(all["attention_patterns"].size(), 4u);  // 2 layers x 2 heads
  std::set<int> layers;
  for (const auto& a : all["attention_patterns"]) {
    layers.insert(a["layer"].get<int>());
    double s = 0;
    for (const auto& w : a["weights"]) s += w.get<double>();
    EXPECT_NEAR(s, 1.0, 1e-5);  // a softmax row over the keys up to the query
  }
  EXPECT_EQ(layers, (std::set<int>{0, 1}));
  const auto one = inspect_json(dir + "/run --layer 1");
  ASSERT_EQ(one["attention_patterns"].size(), 2u);
  EXPECT_EQ(one["attention_patterns"][0], all["attention_patterns"][2]);
  const auto text = run_cli("inspect " + dir + "/run");
  EXPECT_NE(text.output.find("layer 0, percent per key"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("layer 1, percent per key"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("L1H1"), std::string::npos) << text.output;
  const auto bad = run_cli("inspect " + dir + "/run --layer 2");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.output.find("--layer 2 is out of range: the model has 2 layer(s)"), std::string::npos) << bad.output;
  const auto head = run_cli("inspect " + dir + "/run --ablate L2H0");
  EXPECT_EQ(head.code, 1);
  EXPECT_NE(head.output.find("--ablate: head L2H0 is out of range"), std::string::npos) << head.output;
}

// Zero-ablating head 3 of the PyTorch fixture drops accuracy to 42% (ANALYSES.md):
// some early example's prediction changes, and the ablated probabilities are
// those of the analyses' own ablation setter.
TEST(Inspect, AblationChangesAPredictionAsTheAblationSetterDoes) {
  auto task = make_task(TaskConfig{});
  const Model<float> m = testing::fixture_model("max_of_list_torch.safetensors", *task);
  const Dataset data = generate(*task, Split::Test, 40, 1, 1);  // what inspect --index I generates, per I
  auto refs = std::make_shared<const AblationRefs>(ablation_refs(m, AblationMode::zero, data, data, 1));
  const std::vector<float> logits = patch_logits(m, data, ablation_setter(m, refs, {1u << 3}), 0, 1);
  const int V = m.config().d_vocab;
  int changed = -1;
  for (int i = 0; i < 40 && changed < 0; ++i) {
    const auto j = inspect_json(kMol + " --index " + std::to_string(i) + " --ablate 3");
    ASSERT_TRUE(j.contains("ablated"));
    EXPECT_EQ(j["ablated"]["heads"], nlohmann::json::array({"3"}));
    // softmax of the setter's logits at the query position, against the CLI's top token.
    const float* z = &logits[size_t(i) * V];
    double mx = z[0], s = 0;
    for (int v = 0; v < V; ++v) mx = std::max(mx, double(z[v]));
    for (int v = 0; v < V; ++v) s += std::exp(double(z[v]) - mx);
    const int top = task->token_id(j["ablated"]["prediction"].get<std::string>());
    EXPECT_NEAR(j["ablated"]["probability"].get<double>(), std::exp(double(z[top]) - mx) / s, 1e-6) << "example " << i;
    if (j["ablated"]["prediction"] != j["prediction"]) changed = i;
  }
  ASSERT_GE(changed, 0) << "ablating head 3 changed no prediction among 40 examples";
  const auto text = run_cli("inspect " + kMol + " --index " + std::to_string(changed) + " --ablate 3");
  EXPECT_NE(text.output.find("with 3 zero-ablated:"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("(the prediction changed)"), std::string::npos) << text.output;
}

TEST(Inspect, ExampleWithEvalSetIndexOrSeedIsAnError) {
  for (const char* other : {"--index 2", "--seed 3", "--eval-set x.txt"}) {
    const auto r = run_cli("inspect " + kMol + " --example \"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS\" " + other);
    EXPECT_EQ(r.code, 108) << other << ": " << r.output;
    EXPECT_NE(r.output.find("excludes"), std::string::npos) << r.output;
  }
  const auto r = run_cli("inspect " + kMol + " --ablate 3x");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("--ablate: '3x' is not a head"), std::string::npos) << r.output;
}

}  // namespace cli_inspect_test
}  // namespace hc
