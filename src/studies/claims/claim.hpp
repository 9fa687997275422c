#pragma once
// The paper's claims that `headcount reproduce` tests (docs/REPRODUCTION.md).
// Each claim is an object: its id and statement, what the paper says, how
// its evidence is computed from the trained models (evaluate), the verdict
// rule over that evidence, and the row it becomes in REPRODUCTION.md and
// summary.json. One file per claim or per small group of claims on the same
// data; paper_claims() lists them in the table's order.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "studies/reproduce.hpp"
#include "studies/reproduce_train.hpp"

namespace hc::repro {

// What a claim's evidence is computed from.
struct ClaimContext {
  const ReproduceOptions& opt;
  const ReproducePlan& plan;
  const Count01Study& study;
  Stages& stages;
};

// The verdict ("reproduced", "not shown", "contradicted": studies/verdict.hpp)
// and the rule that decided it, with the numbers it was applied to.
struct Verdict {
  std::string word, rule;
};

// One row of the claims table (REPRODUCTION.md) and of summary.json's "claims".
struct ClaimRow {
  std::string id, claim, paper, ours, reproduced, detail;
  nlohmann::json to_json() const;     // {"id", "claim", "paper", "ours", "reproduced", "detail"}
  std::string markdown_row() const;   // "| claim | paper | ours | verdict | rule |" with '|' escaped
  std::string markdown_rule() const;  // "- **id**: detail"
};

class Claim {
 public:
  Claim(std::string id, std::string statement, std::string paper, std::string summary_key)
      : id(std::move(id)), statement(std::move(statement)), paper(std::move(paper)),
        summary_key(std::move(summary_key)) {}
  virtual ~Claim() = default;

  // Computes the evidence; may run analyses or train models of its own.
  virtual void evaluate(const ClaimContext& ctx) = 0;
  // False when there is nothing to judge (the claim then gets no row, no summary entry, no table).
  virtual bool has_evidence() const { return true; }
  // Our numbers: the table's "ours" cell.
  virtual std::string ours() const = 0;
  // The verdict rule, applied to the evidence.
  virtual Verdict verdict() const = 0;
  // summary.json[summary_key].
  virtual nlohmann::json summary() const = 0;
  // Tables written as CSV beside summary.json, in this order.
  virtual std::vector<Table> tables() const { return {}; }

  ClaimRow row() const;

  const std::string id, statement, paper, summary_key;
};

// The claims in the order of REPRODUCTION.md's table.
std::vector<std::unique_ptr<Claim>> paper_claims();

// One factory per claim (studies/claims/*.cpp).
std::unique_ptr<Claim> failed_heads_claim();
std::unique_ptr<Claim> w01_w02_claim();
std::unique_ptr<Claim> w01_intervention_claim();
std::unique_ptr<Claim> correlation_claim();
std::unique_ptr<Claim> isolated_vs_joint_claim();
std::unique_ptr<Claim> failure_signatures_claim();
std::unique_ptr<Claim> logit_dynamics_claim();
std::unique_ptr<Claim> minimal_solution_claim();

}  // namespace hc::repro
