// The w01 intervention (the paper's figure 8): with `2` zeroed, replace a
// head's `=` row by a synthetic pattern of a given w01 and score s-acc.
#include "interp/w01_intervention.hpp"

#include "core/parallel.hpp"
#include "studies/claims/claim.hpp"
#include "studies/reproduce_stats.hpp"
#include "studies/stats.hpp"
#include "studies/verdict.hpp"

namespace hc::repro {

namespace {

using json = nlohmann::json;

class W01Intervention : public Claim {
 public:
  W01Intervention()
      : Claim("w01_intervention",
              "Intervention: with `2` zeroed, s-acc stays high for 0.1 < w01 < 10 and collapses outside",
              "high inside (0.1, 10), collapses outside", "w01_intervention") {}

  void evaluate(const ClaimContext& ctx) override {
    ctx.stages.say("Count01: the w01 intervention (figure 8) on " + std::to_string(ctx.plan.intervention_models) +
                   " main model(s)");
    const Count01Study& st = ctx.study;
    table_.name = "w01_intervention";
    table_.description =
        "one row per (model, head, w01): s-acc with the head's `=` row replaced by the synthetic w01 pattern";
    table_.dataset = st.probe_source();
    table_.columns = {"model", "head", "success", "w01", "s_acc"};
    std::vector<const TrainedModel*> picked;
    for (const auto& tm : st.models)
      if (tm.final_model) picked.push_back(&tm);
    std::vector<W01InterventionResult> wr(picked.size());
    parallel_for(int(picked.size()), ctx.opt.jobs, [&](int i) {
      wr[size_t(i)] = w01_intervention(*picked[size_t(i)]->final_model, *st.task, st.probe_train, st.probe_test);
    });
    std::vector<double> inside, outside;
    for (size_t m = 0; m < picked.size(); ++m) {
      std::vector<double> model_in, model_drop;
      const json& j = wr[m].summary;
      const auto grid = j["grid"].get<std::vector<double>>();
      for (const auto& hj : j["heads"]) {
        const bool success = hj["s_acc_unmodified"].get<double>() >= 0.95;
        const auto sacc = hj["s_acc"].get<std::vector<double>>();
        std::vector<double> in, out;
        for (size_t g = 0; g < grid.size(); ++g) {
          table_.add_row({picked[m]->spec.label(), hj["head"], success ? 1 : 0, grid[g], sacc[g]});
          if (grid[g] > 0.1 * 1.0001 && grid[g] < 10 / 1.0001) in.push_back(sacc[g]);
          if (grid[g] <= 0.01 * 1.0001 || grid[g] >= 100 / 1.0001) out.push_back(sacc[g]);
        }
        if (success) {
          inside.push_back(stat_of(in).mean), outside.push_back(stat_of(out).mean);
          model_in.push_back(stat_of(in).mean), model_drop.push_back(stat_of(in).mean - stat_of(out).mean);
        }
      }
      // One value per model: the mean over its successful heads.
      if (!model_in.empty()) per_in_.push_back(stat_of(model_in).mean), per_drop_.push_back(stat_of(model_drop).mean);
    }
    inside_ = stat_of(inside), outside_ = stat_of(outside);
    in_iv_ = bootstrap_mean(per_in_, ctx.plan.bootstrap, 10);
    drop_iv_ = bootstrap_mean(per_drop_, ctx.plan.bootstrap, 11);
  }
  std::string ours() const override {
    return std::to_string(inside_.n) + " successful heads of " + std::to_string(per_in_.size()) +
           " models; per model, mean s-acc at 0.1 < w01 < 10: " + in_iv_.text() +
           "; drop to w01 <= 0.01 or >= 100: " + drop_iv_.text() + " (heads pooled: inside " +
           fmt("%.3f", inside_.mean) + ", outside " + fmt("%.3f", outside_.mean) + ")";
  }
  Verdict verdict() const override {
    const Judgement j = combine({{"high inside", Quantitative{0.9, 1.0, "'high' read as [0.9, 1]"}.judge(in_iv_)},
                                 {"collapse outside", Qualitative{0.1, true, "the drop (inside minus outside)"}.judge(drop_iv_)}});
    return {j.word, j.rule};
  }
  json summary() const override {
    return {{"inside", stat_json(inside_)}, {"outside", stat_json(outside_)}, {"inside_per_model", in_iv_.to_json()},
            {"drop_per_model", drop_iv_.to_json()}};
  }
  std::vector<Table> tables() const override { return {table_}; }

 private:
  Table table_;
  Stat inside_, outside_;
  std::vector<double> per_in_, per_drop_;
  Interval in_iv_, drop_iv_;
};

}  // namespace

std::unique_ptr<Claim> w01_intervention_claim() { return std::make_unique<W01Intervention>(); }

}  // namespace hc::repro
