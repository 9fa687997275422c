// Heads trained in isolation (1-head models) against heads trained jointly
// (the 16 heads of the main models): the paper's Table 1. The difference of
// mean head s-acc (and of the success rate) is bootstrapped over models, the
// two groups resampled independently.
#include <map>

#include "studies/claims/claim.hpp"
#include "studies/reproduce_stats.hpp"
#include "studies/stats.hpp"
#include "studies/verdict.hpp"

namespace hc::repro {

namespace {

class IsolatedVsJoint : public Claim {
 public:
  IsolatedVsJoint()
      : Claim("isolated_vs_joint",
              "Heads trained in isolation (1-head models) are slightly better than heads trained jointly",
              "isolated slightly better (Table 1)", "isolated_vs_joint") {}
  void evaluate(const ClaimContext& ctx) override {
    table_.name = "isolated_vs_joint";
    table_.description =
        "one row per head: isolated (1-head D32 E2 models) or joint (heads of D32 H16 E2 models), final step";
    table_.dataset = ctx.study.probe_source();
    table_.columns = {"group", "model", "head", "s_acc", "l_acc", "auc", "success"};
    for (const auto& tm : ctx.study.models) {
      if (tm.snapshots.empty() || (tm.spec.group != "main" && tm.spec.group != "isolated")) continue;
      const std::string name = tm.spec.group == "main" ? "joint" : "isolated";
      Group& x = g_[name];
      std::vector<double> s, ok;
      for (const auto& h : tm.snapshots.back().heads) {
        table_.add_row({name, tm.spec.label(), h.head, h.s_acc, h.l_acc, h.auc, h.success ? 1 : 0});
        s.push_back(h.s_acc), ok.push_back(h.success);
        x.l.push_back(h.l_acc), x.a.push_back(h.auc);
      }
      x.model_s.push_back(stat_of(s).mean), x.model_ok.push_back(stat_of(ok).mean);
    }
    for (const char* name : {"isolated", "joint"}) g_[name];  // both groups exist, empty when untrained
    const int R = ctx.plan.bootstrap;
    diff_s_ = bootstrap_mean_difference(g_["isolated"].model_s, g_["joint"].model_s, R, 8);
    diff_ok_ = bootstrap_mean_difference(g_["isolated"].model_ok, g_["joint"].model_ok, R, 9);
  }
  std::string ours() const override {
    std::string o;
    for (const char* name : {"isolated", "joint"}) {
      const Group& x = g_.at(name);
      o += std::string(o.empty() ? "" : "; ") + name + " (" + std::to_string(x.model_s.size()) + " models): s-acc " +
           fmt("%.3f", stat_of(x.model_s).mean) + ", l-acc " + fmt("%.3f", stat_of(x.l).mean) + ", AUC " +
           fmt("%.3f", stat_of(x.a).mean) + ", successful " + pct(stat_of(x.model_ok).mean);
    }
    return o + "; isolated minus joint: s-acc " + diff_s_.text() + ", success rate " + diff_ok_.text();
  }
  Verdict verdict() const override {
    const Judgement j = Qualitative{0, true, "isolated minus joint mean head s-acc"}.judge(diff_s_);
    return {j.word, j.rule};
  }
  nlohmann::json summary() const override {
    nlohmann::json tj;
    for (const char* name : {"isolated", "joint"}) {
      const Group& x = g_.at(name);
      tj[name] = {{"s_acc", stat_json(stat_of(x.model_s))}, {"l_acc", stat_json(stat_of(x.l))},
                  {"auc", stat_json(stat_of(x.a))}, {"frac_successful", stat_of(x.model_ok).mean}};
    }
    tj["difference_s_acc"] = diff_s_.to_json();
    tj["difference_success"] = diff_ok_.to_json();
    return tj;
  }
  std::vector<Table> tables() const override { return {table_}; }

 private:
  struct Group {
    std::vector<double> model_s, model_ok, l, a;
  };
  std::map<std::string, Group> g_;
  Interval diff_s_, diff_ok_;
  Table table_;
};

}  // namespace

std::unique_ptr<Claim> isolated_vs_joint_claim() { return std::make_unique<IsolatedVsJoint>(); }

}  // namespace hc::repro
