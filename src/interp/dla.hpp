#pragma once
// Direct logit attribution (ANALYSES.md part B). The residual stream at a
// position is a sum: embed + pos + every head's result r_h = z_h W_O[h] (every
// layer) + every layer's b_O, so the logit of token t, x · W_U[:,t] + b_U[t],
// splits exactly into
//   embed = W_E[token at p] · u_t,  pos = W_pos[p] · u_t,
//   head (l, h) = r_{l,h}[p] · u_t, bias = sum_l b_O[l] · u_t + b_U[t].
// For multi-layer models an earlier head's effect through later heads is
// counted in the later heads' results (its direct path only is its own part);
// the parts still add up exactly because the stream is a sum.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interp/table.hpp"
#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct DlaResult {
  nlohmann::json summary;
  std::vector<Table> tables;
};

// At position p (position < 0: each example's query_pos, i.e. ANS or `=`),
// attributes the correct logit (target = seq[p + 1], the answer at the query
// position) and its margin over the runner-up (the highest wrong logit of
// that example, per example) to the parts above.
// Shares are "share of the mean": 100 * mean(part) / mean(total), so they add
// up to 100 and are not dominated by examples with a tiny total.
//
// Summary:
//   {"n_examples": N, "dataset": "<source> (N examples)", "position": "query" | p,
//    "mean_logit": .., "mean_margin": ..,
//    "shares": {"embed": %, "pos": %, "head0": %, .., "bias": %},
//    "margin_shares": {same keys},
//    "mean_parts": {same keys, logit units}, "mean_margin_parts": {...},
//    "max_abs_residual": max over examples of |sum of parts - logit|}
// "pos" is present only with a positional embedding, "bias" only with biases.
// Head keys come from head_label (value_norms.hpp).
// Tables: "dla" (part, mean_logit_part, logit_share_pct, mean_margin_part,
// margin_share_pct) and "dla_by_answer" (answer, n, part, mean_logit_part,
// mean_margin_part): the same split for each correct token.
// Throws hc::Error on an empty data set or a position outside the context.
DlaResult dla(const Model<float>& model, const Task& task, const Dataset& data, int position = -1);

}  // namespace hc
