// The per-head weight and attribution analyses in the registry: value norms,
// invariance, direct logit attribution and the QK/OV circuits.
#include "interp/builtin/text_kit.hpp"
#include "interp/circuits.hpp"
#include "interp/dla.hpp"
#include "interp/invariance.hpp"
#include "interp/value_norms.hpp"

namespace hc {

namespace {

using namespace text_kit;
using nlohmann::json;

class ValueNormsAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    o << "\nValue norms |W_E W_V W_O| against the number's value:\n  "
      << listing(summary_["heads"], head_labels(c),
                 [](const json& j) {
                   return j["ov_norm"]["monotone"].get<std::string>() + " (rho " + num(j["ov_norm"]["spearman"]) + ")";
                 })
      << "\n";
  }
};

class InvarianceAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig&) const override {
    o << "\nInvariance (" << summary_["n_families"] << " families): " << summary_["text"].get<std::string>() << "\n";
  }
};

class DlaAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    std::vector<std::string> parts = {"embed", "pos"};
    for (const auto& h : head_labels(c)) parts.push_back(h);
    parts.push_back("bias");
    o << "\nDirect logit attribution, share of the correct logit (mean logit " << num(summary_["mean_logit"])
      << "):\n  " << listing(summary_["shares"], parts, [](const json& v) { return num(v, "%.1f") + "%"; }) << "\n";
  }
};

class CircuitsAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    o << "\nCircuits, per head: OV copying (numbers whose own logit wins) / QK "
         "of the query token vs the value:\n  "
      << listing(summary_["heads"], head_labels(c),
                 [](const json& j) {
                   return pct(j["ov_copying"].get<double>()) + " / " + j["qk_monotone"].get<std::string>();
                 })
      << "\n";
  }
};

}  // namespace

Analysis value_norms_analysis() {
  return summary_analysis<ValueNormsAnalysisResult>(
      "value_norms",
      "per head and number token, |W_E W_V| and |W_E W_V W_O|, and whether "
      "they follow the value",
      always_applies, [](const AnalysisContext& ctx) { return value_norms(ctx.model, ctx.task); });
}

Analysis invariance_analysis() {
  Analysis a;
  a.name = "invariance";
  a.description =
      "cosine similarity across inputs that share their answer, at "
      "every hook point";
  a.not_applicable = always_applies;
  a.missing_input = [](const AnalysisContext& ctx) {
    return ctx.options.families.empty() && !ctx.task.has_invariance_families()
               ? "needs families of inputs with the same answer: the task '" + ctx.task.name() +
                     "' has no default ones, so give --families FILE"
               : std::string();
  };
  a.precheck = [](const AnalysisContext& ctx) {
    if (!ctx.options.families.empty()) load_families(ctx.task, ctx.options.families);
  };
  a.run = [](const AnalysisContext& ctx) -> std::unique_ptr<AnalysisResult> {
    const AnalysisOptions& o = ctx.options;
    std::vector<std::vector<Example>> families;
    std::string source;
    if (!o.families.empty()) {
      families = load_families(ctx.task, o.families);
      source = o.families;
    } else {
      families = default_families(ctx.task, o.n_families, o.seed);
      source = "generated families (seed " + std::to_string(o.seed) + ", " + std::to_string(families.size()) + ")";
    }
    InvarianceResult r = invariance(ctx.model, ctx.task, families, source);
    return std::make_unique<InvarianceAnalysisResult>(std::move(r.summary), std::move(r.tables));
  };
  return a;
}

Analysis dla_analysis() {
  return summary_analysis<DlaAnalysisResult>(
      "dla",
      "direct logit attribution of the correct logit to embeddings, heads and "
      "biases",
      always_applies, [](const AnalysisContext& ctx) { return dla(ctx.model, ctx.task, ctx.data); });
}

Analysis circuits_analysis() {
  return summary_analysis<CircuitsAnalysisResult>(
      "circuits", "per head, the QK (token x token) and OV (token -> logit) circuits", always_applies,
      [](const AnalysisContext& ctx) { return circuits(ctx.model, ctx.task); });
}

}  // namespace hc
