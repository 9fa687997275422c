// Activation patching and path patching in the registry (issue 15,
// docs/CIRCUITS.md): clean inputs are the evaluation set, corrupted ones
// the task's counterfactual corruption of them (tasks/corruption.hpp); the
// metric is the logit difference between the clean and the corrupted answer.
#include <algorithm>
#include <cmath>

#include "interp/act_patching.hpp"
#include "interp/builtin/text_kit.hpp"
#include "interp/path_patching.hpp"
#include "tasks/corruption.hpp"

namespace hc {

std::string needs_two_layers(const ModelConfig& c, const Task&) {
  return c.n_layers >= 2 ? std::string()
                         : "needs a model with at least 2 layers (heads of a later layer reading what earlier heads "
                           "write); this is a 1-layer model";
}

namespace {

using namespace text_kit;
using nlohmann::json;

// At most this many pairs: each patch is a forward over all of them.
constexpr size_t kMaxPairs = 500;

CorruptedPairs pairs_for(const AnalysisContext& ctx) {
  Dataset first;
  first.source = ctx.data.source;
  const size_t n = std::min(ctx.data.examples.size(), 2 * kMaxPairs);
  first.examples.assign(ctx.data.examples.begin(), ctx.data.examples.begin() + long(n));
  CorruptedPairs p = corrupted_pairs(ctx.task, first, ctx.options.seed);
  if (p.clean.examples.size() > kMaxPairs) {
    p.clean.examples.resize(kMaxPairs);
    p.corrupted.examples.resize(kMaxPairs);
  }
  return p;
}

json pairs_json(const CorruptedPairs& p, const Task& task) {
  return {{"pairs", p.clean.examples.size()}, {"skipped", p.skipped}, {"corruption", task.corruption()}};
}

std::string no_corruption(const AnalysisContext& ctx) {
  return ctx.task.corruption().empty()
             ? "task '" + ctx.task.name() + "' has no counterfactual corruption to pair clean inputs with"
             : std::string();
}

double norm(double m, double clean, double corrupted) { return (m - corrupted) / (clean - corrupted); }

// ---- activation patching ----

class ActPatchingResultView : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    const json& s = summary_;
    o << "\nActivation patching (clean -> corrupted, " << s["pairs"].get<size_t>() << " pairs: "
      << s["corruption"].get<std::string>() << "; logit difference clean " << num(s["clean"], "%+.3f")
      << ", corrupted " << num(s["corrupted"], "%+.3f") << "; 1 = clean restored)\n";
    o << "  head z (all positions): "
      << listing(s["head"], head_keys(c), [](const json& v) { return num(v, "%.2f"); }) << "\n";
    o << "  residual, best position per layer: ";
    int i = 0;
    for (const auto& b : s["resid_best"])
      o << (i++ ? ", " : "") << "layer " << b["layer"].get<int>() << " pos " << b["position"].get<int>() << " "
        << num(b["normalised"], "%.2f");
    o << "\n  head x position, largest: ";
    i = 0;
    for (const auto& b : s["head_pos_top"])
      o << (i++ ? ", " : "") << b["head"].get<std::string>() << "@" << b["position"].get<int>() << " "
        << num(b["normalised"], "%.2f");
    o << "\n";
  }
};

std::unique_ptr<AnalysisResult> run_act_patching(const AnalysisContext& ctx) {
  const ModelConfig& c = ctx.model.config();
  const std::vector<std::string> keys = head_keys(c);
  const CorruptedPairs p = pairs_for(ctx);
  const ActPatchingResult r =
      activation_patching_all(ctx.model, p.clean, p.corrupted, PatchMetric::logit_diff, ctx.options.threads);
  const std::string data = p.clean.source + " -> corrupted (" + std::to_string(r.pairs) + " pairs)";
  Table resid, head, head_pos;
  resid.name = "act_patching_resid";
  resid.description = "logit difference with blocks.L.hook_resid_pre at one position patched from the clean run";
  head.name = "act_patching_head";
  head.description = "logit difference with one head's z (every position) patched from the clean run";
  head_pos.name = "act_patching_head_pos";
  head_pos.description = "logit difference with one head's z at one position patched from the clean run";
  resid.dataset = head.dataset = head_pos.dataset = data;
  resid.columns = {"layer", "position", "logit_diff", "normalised"};
  head.columns = {"head", "logit_diff", "normalised"};
  head_pos.columns = {"head", "position", "logit_diff", "normalised"};
  json summary = pairs_json(p, ctx.task), hj = json::object(), best = json::array(), top = json::array();
  summary["clean"] = r.clean;
  summary["corrupted"] = r.corrupted;
  for (int l = 0; l < r.L; ++l) {
    int arg = 0;
    for (int t = 0; t < r.T; ++t) {
      const double m = r.resid[size_t(l) * r.T + t];
      resid.add_row({l, t, m, norm(m, r.clean, r.corrupted)});
      if (m > r.resid[size_t(l) * r.T + arg]) arg = t;
    }
    best.push_back({{"layer", l}, {"position", arg},
                    {"normalised", norm(r.resid[size_t(l) * r.T + arg], r.clean, r.corrupted)}});
  }
  std::vector<std::tuple<double, int, int>> ranked;
  for (int f = 0; f < r.L * r.H; ++f) {
    head.add_row({keys[size_t(f)], r.head[size_t(f)], norm(r.head[size_t(f)], r.clean, r.corrupted)});
    hj[keys[size_t(f)]] = norm(r.head[size_t(f)], r.clean, r.corrupted);
    for (int t = 0; t < r.T; ++t) {
      const double m = r.head_pos[size_t(f) * r.T + t];
      head_pos.add_row({keys[size_t(f)], t, m, norm(m, r.clean, r.corrupted)});
      ranked.push_back({norm(m, r.clean, r.corrupted), f, t});
    }
  }
  std::sort(ranked.rbegin(), ranked.rend());
  for (size_t i = 0; i < ranked.size() && i < 5; ++i)
    top.push_back({{"head", keys[size_t(std::get<1>(ranked[i]))]}, {"position", std::get<2>(ranked[i])},
                   {"normalised", std::get<0>(ranked[i])}});
  summary["head"] = hj;
  summary["resid_best"] = best;
  summary["head_pos_top"] = top;
  return std::make_unique<ActPatchingResultView>(std::move(summary),
                                                 std::vector<Table>{std::move(resid), std::move(head), std::move(head_pos)});
}

// ---- path patching ----

class PathPatchingView : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    const json& s = summary_;
    const std::vector<std::string> keys = head_keys(c);
    o << "\nPath patching (sender's corrupted output into one input of a receiver, all else clean; "
      << s["pairs"].get<size_t>() << " pairs; effect: 0 = clean, 1 = corrupted)\n";
    o << "  receiver via";
    for (int h = 0; h < c.n_heads; ++h) o << "  " << keys[size_t(h)] << " ";
    o << "  (senders)\n";
    for (int r = c.n_heads; r < 2 * c.n_heads; ++r)
      for (const char* k : {"q", "k", "v"}) {
        char line[64];
        std::snprintf(line, sizeof line, "  %-8s %-3s", std::string(k) == "q" ? keys[size_t(r)].c_str() : "", k);
        o << line;
        for (int h = 0; h < c.n_heads; ++h)
          o << "  " << num(s["effect"][k][keys[size_t(h)] + "->" + keys[size_t(r)]], "%+.2f") << " ";
        o << "\n";
      }
  }
};

std::unique_ptr<AnalysisResult> run_path_patching(const AnalysisContext& ctx) {
  const ModelConfig& c = ctx.model.config();
  const std::vector<std::string> keys = head_keys(c);
  const CorruptedPairs p = pairs_for(ctx);
  const PathPatchingResult r = path_patching(ctx.model, p.clean, p.corrupted, PatchMetric::logit_diff, ctx.options.threads);
  Table t;
  t.name = "path_patching";
  t.description = "logit difference with the sender's corrupted output fed into one input (q, k or v) of the receiver "
                  "only; effect 0 = clean, 1 = corrupted";
  t.dataset = p.clean.source + " -> corrupted (" + std::to_string(r.pairs) + " pairs)";
  t.columns = {"sender", "receiver", "input", "logit_diff", "effect"};
  json summary = pairs_json(p, ctx.task), eff = json::object();
  summary["clean"] = r.clean;
  summary["corrupted"] = r.corrupted;
  const int F = r.L * r.H;
  for (int k = 0; k < 3; ++k) {
    const char* kn = composition_kind_name(CompositionKind(k));
    eff[kn] = json::object();
    for (int s = 0; s < F; ++s)
      for (int q = 0; q < F; ++q) {
        if (q / r.H <= s / r.H) continue;
        const double m = r.at(s, q, CompositionKind(k));
        t.add_row({keys[size_t(s)], keys[size_t(q)], kn, m, r.effect(m)});
        eff[kn][keys[size_t(s)] + "->" + keys[size_t(q)]] = r.effect(m);
      }
  }
  summary["effect"] = eff;
  return std::make_unique<PathPatchingView>(std::move(summary), std::vector<Table>{std::move(t)});
}

}  // namespace

Analysis act_patching_analysis() {
  Analysis a;
  a.name = "act_patching";
  a.description = "activation patching clean -> corrupted by residual position, head and head x position";
  a.not_applicable = needs_two_layers;
  a.missing_input = no_corruption;
  a.run = run_act_patching;
  return a;
}

Analysis path_patching_analysis() {
  Analysis a;
  a.name = "path_patching";
  a.description = "path patching: each sender head into each later receiver's q, k or v only";
  a.not_applicable = needs_two_layers;
  a.missing_input = no_corruption;
  a.run = run_path_patching;
  return a;
}

}  // namespace hc
