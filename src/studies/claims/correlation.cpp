// Across models, weighted head s-acc correlates with the model's accuracy
// (the paper: Pearson r = 0.72). Two populations, each resampled by model:
// (a) independent final models spanning a range of quality (main, grid and
// quality models: sizes, training lengths and seeds vary; the 1-head
// isolated models are left out, since for them weighted s-acc and accuracy
// are nearly the same quantity); (b) every checkpoint of the main and grid
// models, with a clustered bootstrap (a model's checkpoints stay together).
// Model accuracy is reported both ways: argmax over the whole vocabulary
// (the verdict's, the model's real answer) and over {4, 5} only.
#include "studies/claims/claim.hpp"
#include "studies/reproduce_stats.hpp"
#include "studies/stats.hpp"
#include "studies/verdict.hpp"

namespace hc::repro {

namespace {

using json = nlohmann::json;

class Correlation : public Claim {
 public:
  Correlation()
      : Claim("correlation", "Across models, weighted head s-acc correlates with model accuracy", "Pearson r = 0.72",
              "correlation") {}
  void evaluate(const ClaimContext& ctx) override {
    table_.name = "correlation_final";
    table_.description =
        "one row per independent final model (main, grid, quality): weighted head s-acc and accuracy both ways";
    table_.dataset = ctx.study.probe_test.source;
    table_.columns = {"model", "group", "d_model", "n_heads", "steps", "weighted_s_acc", "accuracy", "accuracy_45"};
    std::vector<std::vector<double>> fx, fy, fy45, cx, cy, cy45;
    for (const auto& tm : ctx.study.models) {
      const std::string& g = tm.spec.group;
      if (tm.snapshots.empty() || (g != "main" && g != "grid" && g != "quality")) continue;
      const Snapshot& f = tm.snapshots.back();
      fx.push_back({f.weighted_s_acc}), fy.push_back({f.accuracy}), fy45.push_back({f.accuracy_45});
      table_.add_row({tm.spec.label(), g, tm.spec.D, tm.spec.H, f.step, f.weighted_s_acc, f.accuracy, f.accuracy_45});
      if (g == "quality") continue;
      std::vector<double> x, y, y45;
      for (const auto& s : tm.snapshots) x.push_back(s.weighted_s_acc), y.push_back(s.accuracy), y45.push_back(s.accuracy_45);
      cx.push_back(x), cy.push_back(y), cy45.push_back(y45);
      n_points_ += int(x.size());
    }
    const int R = ctx.plan.bootstrap;
    final_ = clustered_pearson(fx, fy, R, 1);
    final45_ = clustered_pearson(fx, fy45, R, 1);
    ckpt_ = clustered_pearson(cx, cy, R, 2);
    ckpt45_ = clustered_pearson(cx, cy45, R, 2);
  }
  std::string ours() const override {
    return "(a) final models, accuracy = argmax over the vocabulary: r = " + final_.text() + "; over {4, 5}: r = " +
           final45_.text() + ". (b) " + std::to_string(n_points_) +
           " checkpoints of the main and grid models, clustered by model: r = " + ckpt_.text() + "; over {4, 5}: r = " +
           ckpt45_.text();
  }
  Verdict verdict() const override {
    const Judgement j = rule().judge(final_);
    return {j.word, j.rule + " (on (a), whole-vocabulary accuracy)"};
  }
  json summary() const override {
    return {{"final_models", final_.to_json()},     {"final_models_acc45", final45_.to_json()},
            {"checkpoints", ckpt_.to_json()},       {"checkpoints_acc45", ckpt45_.to_json()},
            {"n_checkpoints", n_points_}};
  }
  std::vector<Table> tables() const override { return {table_}; }

  static Quantitative rule() {
    Quantitative q{0.62, 0.82, "r = 0.72 +- 0.1: [0.62, 0.82]"};
    q.has_null = true, q.null_value = 0;
    return q;
  }

 private:
  Interval final_, final45_, ckpt_, ckpt45_;
  int n_points_ = 0;
  Table table_;
};

}  // namespace

std::unique_ptr<Claim> correlation_claim() { return std::make_unique<Correlation>(); }

}  // namespace hc::repro
