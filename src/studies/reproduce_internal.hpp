#pragma once
// The parts of `headcount reproduce` (run_reproduce in reproduce.cpp calls
// them in order): the training step (reproduce_train.hpp), the claims
// (claims/claim.hpp), the part B head studies and the renderer declared here.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "studies/claims/claim.hpp"
#include "studies/reproduce.hpp"
#include "studies/reproduce_train.hpp"

namespace hc::repro {

// ---- part B head studies (reproduce_head_studies.cpp) ----

// Trains the puzzle 1a Max-of-List model into OUT/max_of_list/run and writes
// its head study to OUT/max_of_list/analysis; sets summary["max_of_list"] and
// summary["max_of_list_text"].
void max_of_list_study(const ReproduceOptions& opt, const ReproducePlan& plan, Stages& stages,
                       nlohmann::json& summary);
// Saves the first kept main Count01 model to OUT/count01_main/run and writes
// its head study to OUT/count01_main/analysis; sets summary["count01_main"].
void count01_main_study(const ReproduceOptions& opt, const ReproducePlan& plan, const Count01Study& study,
                        Stages& stages, nlohmann::json& summary);

// ---- renderer (reproduce_render.cpp) ----

// summary.json's "plan".
nlohmann::json plan_json(const ReproduceOptions& opt, const ReproducePlan& plan);
// REPRODUCTION.md: the header, the statistics, the claims table with each
// verdict's rule, the conditions map, the Max-of-List head study and the
// list of tables.
std::string render_markdown(const ReproduceOptions& opt, const ReproducePlan& plan, const nlohmann::json& summary,
                            const std::vector<ClaimRow>& rows, const std::string& conditions_md,
                            const std::vector<Table>& tables, double seconds);
// Writes every table as CSV, summary.json, REPRODUCTION.md and report.html to opt.out.
void write_outputs(const ReproduceOptions& opt, const ReproduceResult& res, Stages& stages);

}  // namespace hc::repro
