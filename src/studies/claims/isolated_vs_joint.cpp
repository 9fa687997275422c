// Heads trained in isolation (1-head models) against heads trained jointly
// (the 16 heads of the main models): the paper's Table 1.
#include <map>

#include "studies/claims/claim.hpp"
#include "studies/reproduce_stats.hpp"

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
      for (const auto& h : tm.snapshots.back().heads) {
        table_.add_row({name, tm.spec.label(), h.head, h.s_acc, h.l_acc, h.auc, h.success ? 1 : 0});
        Group& x = g_[name];
        x.s.push_back(h.s_acc), x.l.push_back(h.l_acc), x.a.push_back(h.auc), x.ok.push_back(h.success);
      }
    }
    for (const char* name : {"isolated", "joint"}) g_[name];  // both groups exist, empty when untrained
  }
  std::string ours() const override {
    std::string o;
    for (const char* name : {"isolated", "joint"}) {
      const Group& x = g_.at(name);
      o += std::string(o.empty() ? "" : "; ") + name + ": s-acc " + fmt_stat(stat_of(x.s)) + ", l-acc " +
           fmt("%.3f", stat_of(x.l).mean) + ", AUC " + fmt("%.3f", stat_of(x.a).mean) + ", successful " +
           pct(stat_of(x.ok).mean);
    }
    return o;
  }
  Verdict verdict() const override {
    const Group &iso = g_.at("isolated"), &joint = g_.at("joint");
    const bool ok = stat_of(iso.s).mean >= stat_of(joint.s).mean && stat_of(iso.ok).mean >= stat_of(joint.ok).mean;
    return {ok ? "yes" : "no", "yes when isolated heads have mean s-acc and success rate at least those of joint heads"};
  }
  nlohmann::json summary() const override {
    nlohmann::json tj;
    for (const char* name : {"isolated", "joint"}) {
      const Group& x = g_.at(name);
      tj[name] = {{"s_acc", stat_json(stat_of(x.s))}, {"l_acc", stat_json(stat_of(x.l))},
                  {"auc", stat_json(stat_of(x.a))}, {"frac_successful", stat_of(x.ok).mean}};
    }
    return tj;
  }
  std::vector<Table> tables() const override { return {table_}; }

 private:
  struct Group {
    std::vector<double> s, l, a, ok;
  };
  std::map<std::string, Group> g_;
  Table table_;
};

}  // namespace

std::unique_ptr<Claim> isolated_vs_joint_claim() { return std::make_unique<IsolatedVsJoint>(); }

}  // namespace hc::repro
