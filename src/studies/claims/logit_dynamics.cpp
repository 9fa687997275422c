// Logit dynamics: each head pushes toward `4` or `5`; the output layer weighs
// the heads so that the answer wins at `=` and EOS wins at the answer position
// one step later. Read from the main models' logit_dynamics() summaries.
#include <algorithm>

#include "studies/claims/claim.hpp"
#include "studies/reproduce_stats.hpp"
#include "studies/stats.hpp"
#include "studies/verdict.hpp"

namespace hc::repro {

namespace {

using json = nlohmann::json;

class LogitDynamics : public Claim {
 public:
  LogitDynamics()
      : Claim("logit_dynamics",
              "Heads each lean toward `4` or `5`; the output layer aggregates them non-uniformly: the answer is the "
              "top logit at `=`, EOS the top logit one step later",
              "answer first at `=`, EOS first at the next position", "logit_dynamics") {}
  void evaluate(const ClaimContext& ctx) override {
    table_.name = "logit_dynamics_heads";
    table_.description = "one row per (main model, head): its direct push on logit(4) - logit(5) at `=` and its share";
    table_.dataset = ctx.study.probe_test.source;
    table_.columns = {"model", "head", "bias_45", "toward", "bias_45_answer", "share_of_logit_diff"};
    std::vector<double> max_resid;
    for (const auto& tm : ctx.study.models) {
      if (tm.logit_dynamics.is_null()) continue;
      const json& ld = tm.logit_dynamics;
      top_eq_.push_back(ld.at("answer_top_at_eq").get<double>());
      top_eos_.push_back(ld.at("eos_top_at_answer").get<double>());
      max_resid.push_back(ld.at("max_abs_residual").get<double>());
      const int t4 = ld.at("n_toward_4").get<int>(), t5 = ld.at("n_toward_5").get<int>();
      toward4_ += t4, toward5_ += t5;
      share4_.push_back(t4 + t5 > 0 ? double(t4) / double(t4 + t5) : 0.0);
      share5_.push_back(t4 + t5 > 0 ? double(t5) / double(t4 + t5) : 0.0);
      for (const auto& h : ld.at("heads")) {
        ++n_heads_;
        table_.add_row({tm.spec.label(), h.at("head"), h.at("bias_45"), h.at("toward"), h.at("bias_45_answer"),
                        h.at("share_of_logit_diff")});
      }
    }
    const int R = ctx.plan.bootstrap;
    eq_iv_ = bootstrap_mean(top_eq_, R, 12), eos_iv_ = bootstrap_mean(top_eos_, R, 13);
    s4_iv_ = bootstrap_mean(share4_, R, 14), s5_iv_ = bootstrap_mean(share5_, R, 15);
    if (!max_resid.empty()) resid_ = *std::max_element(max_resid.begin(), max_resid.end());
  }
  bool has_evidence() const override { return !top_eq_.empty(); }
  std::string ours() const override {
    return "answer top at `=` (share of examples, mean per model): " + eq_iv_.text("%.4f") +
           "; EOS top at the answer position: " + eos_iv_.text("%.4f") + "; heads leaning toward 4: " +
           std::to_string(toward4_) + ", toward 5: " + std::to_string(toward5_) + " (of " + std::to_string(n_heads_) +
           "; per-model share toward 4 " + s4_iv_.text("%.2f") + ")" +
           "); per-head parts + embed + bias sum to the logits within " + fmt("%.1e", resid_);
  }
  Verdict verdict() const override {
    const Quantitative first{0.99, 1.0, "'first' read as in >= 99% of examples: [0.99, 1]"};
    const Judgement j = combine({{"answer at `=`", first.judge(eq_iv_)},
                                 {"EOS one step later", first.judge(eos_iv_)},
                                 {"heads toward 4", Qualitative{0, true, "the per-model share of heads toward 4"}.judge(s4_iv_)},
                                 {"heads toward 5", Qualitative{0, true, "the per-model share of heads toward 5"}.judge(s5_iv_)}});
    return {j.word, j.rule + "; per-head parts in logit_dynamics_heads.csv and count01_main/analysis/logit_dynamics.csv"};
  }
  json summary() const override {
    return {{"answer_top_at_eq", stat_json(stat_of(top_eq_))}, {"eos_top_at_answer", stat_json(stat_of(top_eos_))},
            {"n_toward_4", toward4_}, {"n_toward_5", toward5_}, {"max_abs_residual", resid_}};
  }
  std::vector<Table> tables() const override { return {table_}; }

 private:
  std::vector<double> top_eq_, top_eos_, share4_, share5_;
  Interval eq_iv_, eos_iv_, s4_iv_, s5_iv_;
  double resid_ = 0;
  int toward4_ = 0, toward5_ = 0, n_heads_ = 0;
  Table table_;
};

}  // namespace

std::unique_ptr<Claim> logit_dynamics_claim() { return std::make_unique<LogitDynamics>(); }

}  // namespace hc::repro
