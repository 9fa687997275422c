// Claims about the final heads of the main models (D32 H16 E2): how many
// fail, their w01 / w02, and the signatures of the failed ones.
#include <cmath>
#include <map>

#include "studies/claims/claim.hpp"
#include "studies/reproduce_stats.hpp"

namespace hc::repro {

namespace {

using json = nlohmann::json;

// About half the heads of a D32 H16 model fail.
class FailedHeads : public Claim {
 public:
  FailedHeads()
      : Claim("failed_heads", "About half the heads of a d=32, 16-head model are failed (s-acc < 0.95)", "about half",
              "failed_fraction") {}
  void evaluate(const ClaimContext& ctx) override {
    std::vector<double> frac;
    for (auto* s : ctx.study.finals("main")) {
      int failed = 0;
      for (const auto& h : s->heads) failed += !h.success;
      frac.push_back(double(failed) / double(s->heads.size()));
    }
    st_ = stat_of(frac);
  }
  std::string ours() const override { return "fraction failed per model: " + fmt_stat(st_); }
  Verdict verdict() const override {
    const bool ok = st_.mean >= 0.3 && st_.mean <= 0.7;
    return {ok ? "yes" : "no", ok ? "the mean fraction of failed heads lies in [0.3, 0.7]"
                                  : "the mean fraction of failed heads lies outside [0.3, 0.7], our reading of 'about half'"};
  }
  json summary() const override { return stat_json(st_); }

 private:
  Stat st_;
};

// Successful heads have w01 close to 1 and w02 > 10.
class W01W02 : public Claim {
 public:
  W01W02() : Claim("w01_w02", "Successful heads have w01 close to 1 and w02 > 10", "w01 ~ 1, w02 > 10", "w01_w02") {}
  void evaluate(const ClaimContext& ctx) override {
    for (auto* s : ctx.study.finals("main"))
      for (const auto& h : s->heads) {
        if (!std::isfinite(h.w01) || !std::isfinite(h.w02)) continue;
        const bool near = std::fabs(std::log10(h.w01)) < std::log10(3.0);
        if (h.success) {
          ++n_ok_, w01_ok_.push_back(h.w01), ok_w02_ += h.w02 > 10, ok_near_ += near;
        } else {
          ++n_bad_, bad_w02_ += h.w02 > 10, bad_near_ += near;
        }
      }
  }
  std::string ours() const override {
    return "successful heads (n=" + std::to_string(n_ok_) + "): median w01 " + fmt("%.2f", median()) + " [IQR " +
           fmt("%.2f", quantile(w01_ok_, 0.25)) + "-" + fmt("%.2f", quantile(w01_ok_, 0.75)) +
           "], w01 within 3x of 1 in " + pct(n_ok_ ? double(ok_near_) / n_ok_ : 0) + ", w02 > 10 in " +
           pct(frac_w02()) + "; failed heads (n=" + std::to_string(n_bad_) + "): w01 within 3x of 1 in " +
           pct(n_bad_ ? double(bad_near_) / n_bad_ : 0) + ", w02 > 10 in " + pct(n_bad_ ? double(bad_w02_) / n_bad_ : 0);
  }
  Verdict verdict() const override {
    const double med = median();
    const bool ok = n_ok_ > 0 && med >= 0.5 && med <= 2 && frac_w02() >= 0.8;
    return {ok ? "yes" : "no",
            "yes when the successful heads' median w01 is in [0.5, 2] and >= 80% of them have w02 > 10"};
  }
  json summary() const override {
    return {{"successful", {{"n", n_ok_}, {"median_w01", median()}, {"frac_w02_gt_10", frac_w02()}}},
            {"failed", {{"n", n_bad_}, {"frac_w02_gt_10", n_bad_ ? double(bad_w02_) / n_bad_ : 0.0}}}};
  }

 private:
  double median() const { return quantile(w01_ok_, 0.5); }
  double frac_w02() const { return n_ok_ ? double(ok_w02_) / n_ok_ : std::nan(""); }
  std::vector<double> w01_ok_;
  int ok_w02_ = 0, n_ok_ = 0, bad_w02_ = 0, n_bad_ = 0, ok_near_ = 0, bad_near_ = 0;
};

// Failure signatures of the failed heads.
class FailureSignatures : public Claim {
 public:
  FailureSignatures()
      : Claim("failure_signatures", "Failure signatures: w01 too extreme, w02 too small, separable but misaligned",
              "three signatures", "failure_signatures") {}
  void evaluate(const ClaimContext& ctx) override {
    for (auto* s : ctx.study.finals("main"))
      for (const auto& h : s->heads) ++sig_[h.failure], ++n_;
    for (const char* k : kSignatures) sig_[k];  // every signature gets a count, 0 when absent
  }
  std::string ours() const override {
    std::string o;
    for (const char* k : kSignatures) o += std::string(o.empty() ? "" : ", ") + k + " " + std::to_string(sig_.at(k));
    return o + " (of " + std::to_string(n_) + " heads)";
  }
  Verdict verdict() const override {
    const int seen = n_seen();
    return {seen == 3 ? "yes" : (seen > 0 ? "partly" : "no"),
            std::to_string(seen) + " of the 3 signatures occur among the main models' heads"};
  }
  json summary() const override {
    json sj;
    for (auto& [k, v] : sig_) sj[k] = v;
    return sj;
  }

 private:
  static constexpr const char* kSignatures[] = {"w01 too extreme", "w02 too small", "separable but misaligned", "other",
                                                "none"};
  int n_seen() const {
    int seen = 0;
    for (const char* k : kSignatures)
      if (std::string(k) != "none" && std::string(k) != "other") seen += sig_.at(k) > 0;
    return seen;
  }
  std::map<std::string, int> sig_;
  int n_ = 0;
};

}  // namespace

std::unique_ptr<Claim> failed_heads_claim() { return std::make_unique<FailedHeads>(); }
std::unique_ptr<Claim> w01_w02_claim() { return std::make_unique<W01W02>(); }
std::unique_ptr<Claim> failure_signatures_claim() { return std::make_unique<FailureSignatures>(); }

}  // namespace hc::repro
