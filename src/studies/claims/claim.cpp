#include "studies/claims/claim.hpp"

namespace hc::repro {

namespace {

std::string md_escape(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '|' ? std::string("\\|") : std::string(1, c);
  return o;
}

}  // namespace

nlohmann::json ClaimRow::to_json() const {
  return {{"id", id}, {"claim", claim}, {"paper", paper}, {"ours", ours}, {"reproduced", reproduced}, {"detail", detail}};
}

std::string ClaimRow::markdown_row() const {
  return "| " + md_escape(claim) + " | " + md_escape(paper) + " | " + md_escape(ours) + " | " + md_escape(reproduced) +
         " | " + md_escape(detail) + " |\n";
}

std::string ClaimRow::markdown_rule() const { return "- **" + id + "**: " + detail + "\n"; }

ClaimRow Claim::row() const {
  const Verdict v = verdict();
  return {id, statement, paper, ours(), v.word, v.rule};
}

std::vector<std::unique_ptr<Claim>> paper_claims() {
  std::vector<std::unique_ptr<Claim>> v;
  v.push_back(failed_heads_claim());
  v.push_back(w01_w02_claim());
  v.push_back(w01_intervention_claim());
  v.push_back(correlation_claim());
  v.push_back(isolated_vs_joint_claim());
  v.push_back(failure_signatures_claim());
  v.push_back(logit_dynamics_claim());
  v.push_back(minimal_solution_claim());
  return v;
}

}  // namespace hc::repro
