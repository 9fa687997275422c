// Across models and checkpoints, weighted head s-acc correlates with the
// model's accuracy (the paper: Pearson r = 0.72).
#include "studies/claims/claim.hpp"
#include "studies/reproduce_stats.hpp"

namespace hc::repro {

namespace {

class Correlation : public Claim {
 public:
  Correlation()
      : Claim("correlation", "Across models, weighted head s-acc correlates with model accuracy", "Pearson r = 0.72",
              "correlation") {}
  void evaluate(const ClaimContext& ctx) override {
    for (const auto& tm : ctx.study.models) {
      n_models_ += tm.snapshots.empty() ? 0 : 1;
      for (const auto& s : tm.snapshots) x_.push_back(s.weighted_s_acc), y_.push_back(s.accuracy);
    }
    r_ = pearson(x_, y_);
    ci_ = bootstrap_pearson_ci(x_, y_, ctx.plan.bootstrap, 0.95, 1);
    resamples_ = ctx.plan.bootstrap;
  }
  std::string ours() const override {
    return "r = " + fmt("%.3f", r_) + ", 95% bootstrap CI [" + fmt("%.3f", ci_.first) + ", " +
           fmt("%.3f", ci_.second) + "], n = " + std::to_string(x_.size()) + " (model, checkpoint) points from " +
           std::to_string(n_models_) + " models (seeds x configurations)";
  }
  Verdict verdict() const override {
    const bool ok = ci_.first > 0;
    const bool contains = ci_.first <= 0.72 && 0.72 <= ci_.second;
    return {ok ? (contains ? "yes" : "yes (direction; r differs)") : "no",
            std::string("a positive correlation when the interval excludes 0; 0.72 is ") +
                (contains ? "inside" : "outside") + " our interval"};
  }
  nlohmann::json summary() const override {
    return {{"n", x_.size()}, {"n_models", n_models_}, {"r", r_},         {"ci_low", ci_.first},
            {"ci_high", ci_.second}, {"level", 0.95}, {"resamples", resamples_}};
  }

 private:
  std::vector<double> x_, y_;
  size_t n_models_ = 0;
  double r_ = 0;
  std::pair<double, double> ci_;
  int resamples_ = 0;
};

}  // namespace

std::unique_ptr<Claim> correlation_claim() { return std::make_unique<Correlation>(); }

}  // namespace hc::repro
