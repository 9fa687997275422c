// A toy analysis added from outside src/ through the public registration call
// (interp/analysis.hpp), as docs/ARCHITECTURE.md's "add an analysis" shows:
// per head, the mean entropy of the query row's attention. Once registered it
// is chosen by analyze's --only parser and runs in the head study (summary,
// table, text block), is accepted and run by a sweep spec's "analyses", and
// gets a report section. It registers with by_default = false, so the other
// tests of this program see the built-in default set.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "interp/analysis.hpp"
#include "interp/cache.hpp"
#include "report/sections.hpp"
#include "studies/head_study.hpp"
#include "studies/study_report.hpp"
#include "sweep/analyses.hpp"
#include "sweep/spec.hpp"
#include "train/trainer.hpp"

namespace hc {
namespace plugins_toy_analysis_test {  // this file's own names (unity builds batch test files)
// ---- the whole plug-in: a result type and an Analysis ----

class EntropyResult : public AnalysisResult {
 public:
  std::vector<double> entropy;  // [L*H] mean entropy (nats) of each head's query row
  std::vector<Table> table;

  nlohmann::json summary() const override { return {{"mean_entropy", entropy}}; }
  const std::vector<Table>& tables() const override { return table; }
  void text(std::ostream& o, const ModelConfig&) const override {
    o << "\nQuery-row attention entropy (nats):";
    for (size_t h = 0; h < entropy.size(); ++h) o << " " << h << ": " << entropy[h];
    o << "\n";
  }
  std::vector<HeadValue> head_values() const override {
    std::vector<HeadValue> out;
    for (size_t h = 0; h < entropy.size(); ++h) out.push_back({int(h), "query_entropy", entropy[h]});
    return out;
  }
};

Analysis entropy_analysis() {
  Analysis a;
  a.name = "query_entropy";
  a.description = "per head, the mean entropy of the query row's attention";
  a.not_applicable = [](const ModelConfig&, const Task&) { return std::string(); };
  // Asked for by name only, so that tests sharing this process see the
  // built-in default set unchanged.
  a.by_default = false;
  a.run = [](const AnalysisContext& ctx) -> std::unique_ptr<AnalysisResult> {
    const ModelConfig& c = ctx.model.config();
    const size_t N = ctx.data.examples.size();
    const Activations<float> acts = run_at_queries(ctx.model, ctx.data, 0, N);
    auto r = std::make_unique<EntropyResult>();
    r->entropy.assign(size_t(c.n_layers * c.n_heads), 0.0);
    Table t;
    t.name = "query_entropy";
    t.description = "per head, mean entropy of the attention at the query position";
    t.dataset = ctx.data.source;
    t.columns = {"head", "entropy"};
    for (int l = 0; l < c.n_layers; ++l) {
      const LayerActs<float>& la = acts.layers[size_t(l)];
      for (size_t i = 0; i < N; ++i) {
        const int row = l == c.n_layers - 1 ? 0 : ctx.data.examples[i].query_pos;
        for (int h = 0; h < c.n_heads; ++h) {
          const float* p = la.pattern.data() + ((i * c.n_heads + size_t(h)) * size_t(la.Q) + size_t(row)) * c.n_ctx;
          double e = 0;
          for (int k = 0; k < c.n_ctx; ++k)
            if (p[k] > 0) e -= double(p[k]) * std::log(double(p[k]));
          r->entropy[size_t(l * c.n_heads + h)] += e / double(N);
        }
      }
    }
    for (size_t h = 0; h < r->entropy.size(); ++h) t.add_row({int(h), r->entropy[h]});
    r->table.push_back(std::move(t));
    return r;
  };
  return a;
}

void register_once() {
  static const bool done = [] {
    register_analysis(entropy_analysis());
    return true;
  }();
  (void)done;
}

// ---- the tests ----

struct Toy {
  TrainConfig cfg = default_train_config("max-of-list");
  std::unique_ptr<Task> task;
  std::unique_ptr<Model<float>> model;
  Dataset data;
  Toy() {
    cfg.model.d_model = 16;
    cfg.model.d_head = 4;
    task = make_task(cfg.task);
    model = std::make_unique<Model<float>>(cfg.model);
    model->init(3);
    data = generate(*task, Split::Test, 64, 1, 1);
  }
};

TEST(PluginAnalysis, RegisteredAnalysisRunsThroughOnlyAndTheHeadStudy) {
  register_once();
  EXPECT_EQ(parse_analysis_names("ablation, query_entropy"), (std::vector<std::string>{"ablation", "query_entropy"}));
  EXPECT_THROW(register_analysis(entropy_analysis()), Error);  // a name is registered once
  Toy toy;
  HeadStudyOptions opt;
  opt.only = parse_analysis_names("query_entropy");
  const HeadStudy st = head_study(*toy.model, *toy.task, toy.data, opt);
  ASSERT_TRUE(st.summary.contains("query_entropy")) << st.summary.dump();
  const auto entropy = st.summary["query_entropy"]["mean_entropy"].get<std::vector<double>>();
  ASSERT_EQ(entropy.size(), 4u);
  for (double e : entropy) {  // a causal row over <= 12 keys: between 0 and ln 12
    EXPECT_GT(e, 0.0);
    EXPECT_LT(e, std::log(12.0) + 1e-9);
  }
  ASSERT_EQ(st.tables.size(), 1u);
  EXPECT_EQ(st.tables[0].name, "query_entropy");
  EXPECT_NE(st.text.find("Query-row attention entropy"), std::string::npos) << st.text;
  // Not in the default set (by_default = false): that one is unchanged.
  const HeadStudy all = head_study(*toy.model, *toy.task, toy.data, HeadStudyOptions{});
  EXPECT_FALSE(all.summary.contains("query_entropy"));
  EXPECT_EQ(all.summary["analyses"].back(), "circuits");
}

TEST(PluginAnalysis, SweepSpecsAcceptItAndSweepsRecordItsHeadFigures) {
  register_once();
  const SweepSpec s = parse_spec(R"({"task": "max-of-list", "d-model": 16, "analyses": ["query_entropy"]})", "spec");
  EXPECT_EQ(s.analyses, std::vector<std::string>{"query_entropy"});
  Toy toy;
  const AnalysisOutput out = run_analyses(s.analyses, *toy.model, toy.cfg);
  ASSERT_EQ(out.heads.size(), 4u);
  for (const auto& h : out.heads) {
    EXPECT_EQ(h.metric, "query_entropy");
    EXPECT_GT(h.value, 0.0);
  }
  const std::string e = [&] {
    try {
      parse_spec(R"({"analyses": ["query_entropi"]})", "spec");
    } catch (const Error& x) {
      return std::string(x.what());
    }
    return std::string();
  }();
  EXPECT_NE(e.find("did you mean 'query_entropy'?"), std::string::npos) << e;
}

TEST(PluginAnalysis, ItGetsAReportSection) {
  register_once();
  Toy toy;
  HeadStudyOptions opt;
  opt.only = {"query_entropy", "dla"};
  const HeadStudy st = head_study(*toy.model, *toy.task, toy.data, opt);
  const ReportInputs in = study_report_inputs("toy", "toy", *toy.model, *toy.task, toy.data, st, "");
  const ReportContent c = build_sections(in);
  std::vector<std::string> ids;
  for (const auto& sec : c.sections) ids.push_back(sec.id);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "sec-analysis-query_entropy"), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "sec-dla"), ids.end());  // built-ins keep their own sections
  EXPECT_EQ(std::find(ids.begin(), ids.end(), "sec-analysis-dla"), ids.end());
  for (const auto& sec : c.sections) {
    if (sec.id == "sec-analysis-query_entropy") {
      EXPECT_NE(sec.html.find("<th>entropy</th>"), std::string::npos);
    }
  }
}

}  // namespace plugins_toy_analysis_test
}  // namespace hc
