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

// A task with counting traits (Count01) has symbols, not numbers: there is no
// value to trend against and nothing to copy, so its text says what does apply.
class ValueNormsAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  bool counting_symbols = false;
  void text(std::ostream& o, const ModelConfig& c) const override {
    if (counting_symbols) {
      o << "\nValue norms |W_E W_V W_O| per head and symbol: value_norms.csv\n";
      return;
    }
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
  bool counting_symbols = false;
  void text(std::ostream& o, const ModelConfig& c) const override {
    if (counting_symbols) {
      // Nothing to copy: what matters is which logit each symbol raises.
      std::vector<std::string> symbols;
      for (const auto& t : summary_["number_tokens"]) symbols.push_back(t.get<std::string>());
      o << "\nCircuits, per head: the logit the OV circuit raises most for the symbols " << join(symbols, " / ")
        << ":\n  "
        << listing(summary_["heads"], head_labels(c),
                   [&](const json& j) {
                     std::vector<std::string> raised;
                     for (const auto& t : symbols) raised.push_back(j["ov_argmax"][t].get<std::string>());
                     return join(raised, "/");
                   })
        << "\n";
      return;
    }
    if (summary_["number_tokens"].empty()) {
      // count-unique: no number tokens, so no copying or value order to sum up.
      o << "\nCircuits, per head: QK and OV over every token in qk_token.csv and ov_token.csv (no number tokens, so "
           "no copying or value-order summary)\n";
      return;
    }
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

namespace {

// summary_analysis, with the result told whether the task counts symbols.
template <class Result, class Compute>
Analysis symbol_aware_analysis(std::string name, std::string description, Compute compute) {
  Analysis a = summary_analysis<Result>(std::move(name), std::move(description), always_applies, compute);
  a.run = [compute](const AnalysisContext& ctx) -> std::unique_ptr<AnalysisResult> {
    auto r = compute(ctx);
    auto res = std::make_unique<Result>(std::move(r.summary), std::move(r.tables));
    res->counting_symbols = ctx.task.counting() != nullptr;
    return res;
  };
  return a;
}

}  // namespace

Analysis value_norms_analysis() {
  Analysis a = symbol_aware_analysis<ValueNormsAnalysisResult>(
      "value_norms",
      "per head and number token, |W_E W_V| and |W_E W_V W_O|, and whether "
      "they follow the value",
      [](const AnalysisContext& ctx) { return value_norms(ctx.model, ctx.task); });
  // Without two number tokens there is no value to follow (count-unique's
  // symbols a..j): the analysis printed "constant (rho 0.00)" for every head.
  a.not_applicable = [](const ModelConfig&, const Task& task) {
    return task.number_tokens().size() < 2
               ? "compares number tokens' norms with their values; the task '" + task.name() +
                     "' has fewer than two number tokens (tokens named by integers)"
               : std::string();
  };
  return a;
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
  return symbol_aware_analysis<CircuitsAnalysisResult>(
      "circuits", "per head, the QK (token x token) and OV (token -> logit) circuits",
      [](const AnalysisContext& ctx) { return circuits(ctx.model, ctx.task); });
}

}  // namespace hc
