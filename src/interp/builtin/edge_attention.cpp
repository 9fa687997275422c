// The edge-scaling and attention-stats analyses in the registry. Both look at
// the same edges: the task's key target (Task::key_target).
#include <algorithm>

#include "interp/attention_stats.hpp"
#include "interp/builtin/text_kit.hpp"
#include "interp/edge_scaling.hpp"

namespace hc {

namespace {

using namespace text_kit;
using nlohmann::json;

class EdgeScalingAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    const json& e = summary_;
    const std::vector<std::string> keys = head_keys(c);
    o << "\nEdge scaling (query -> " << e["target"].get<std::string>() << "): smallest s restoring full accuracy\n";
    for (const char* m : {"score", "weight"}) {
      if (!e.contains(m)) continue;
      o << "  " << m << " mode, head: recovery s (accuracy at s=0)\n   ";
      for (size_t i = 0; i < keys.size(); ++i) {
        const std::string& h = keys[i];
        o << " " << h << ": " << num(e[m]["recovery"][h]) << " (" << pct(e[m]["accuracy"][h][0].get<double>()) << ")";
        if (i % 6 == 5 && i + 1 < keys.size()) o << "\n   ";
      }
      std::vector<std::pair<double, std::string>> worst;
      for (const auto& [k, acc] : e[m]["pair_accuracy"].items()) worst.push_back({acc[0].get<double>(), k});
      std::sort(worst.begin(), worst.end());
      if (!worst.empty()) {
        o << "\n    pairs at s=0 (worst first): ";
        for (size_t i = 0; i < worst.size() && i < 4; ++i)
          o << (i ? ", " : "") << "{" << worst[i].second << "} " << pct(worst[i].first)
            << " (recovers at s>=" << num(e[m]["pair_recovery"][worst[i].second]) << ")";
      }
      o << "\n";
    }
  }
};

class AttentionAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    const json& a = summary_;
    o << "\nAttention at the query (target: " << a["target"].get<std::string>()
      << "; top=target: the most-attended number is a target)\n";
    char head[64];
    std::snprintf(head, sizeof head, "  %-6s %-12s %-13s", "head", "top=target", "mass target");
    o << head;
    // A key class that is the target itself (1a's "max", 1b's "target",
    // count-unique's "symbol") would repeat the mass-target column: the text
    // leaves it out (the CSV and JSON keep every class).
    auto shown = [&](const json& cl) {
      for (const auto& h : head_keys(c))
        if (a["heads"][h]["mass"][cl.get<std::string>()].get<double>() != a["heads"][h]["mass_target"].get<double>())
          return true;
      return false;
    };
    for (const auto& cl : a["classes"]) {
      if (!shown(cl)) continue;
      char col[64];
      const std::string name = "mass " + cl.get<std::string>();
      std::snprintf(col, sizeof col, "  %-*s", std::max(13, int(name.size())), name.c_str());
      o << col;
    }
    o << "\n";
    for (const auto& h : head_keys(c)) {
      const auto& j = a["heads"][h];
      char line[64];
      // No number among the keys (count-unique's symbols are not numbers): no rate.
      const bool rated = j.value("n_top", 1) > 0;
      std::snprintf(line, sizeof line, "  %-6s %-12s %-13s", h.c_str(),
                    rated ? pct(j["top_is_target"].get<double>()).c_str() : "n/a",
                    pct(j["mass_target"].get<double>()).c_str());
      o << line;
      for (const auto& cl : a["classes"]) {
        if (!shown(cl)) continue;
        char col[64];
        const int width = std::max(13, int(cl.get<std::string>().size()) + 5);  // as its header
        std::snprintf(col, sizeof col, "  %-*s", width, pct(j["mass"][cl.get<std::string>()].get<double>()).c_str());
        o << col;
      }
      o << "\n";
    }
  }
};

}  // namespace

Analysis edge_scaling_analysis() {
  Analysis a;
  a.name = "edge_scaling";
  a.description =
      "scale each head's attention edges to the task's key target "
      "by s in [0, 1]";
  a.not_applicable = always_applies;
  // Beyond one layer there is no shortcut: one hooked forward pass over the
  // evaluation set per (head or pair, s, mode), 792 for 2 layers of 4 heads,
  // minutes where everything else takes seconds. Asked for by name, it runs.
  a.skip_by_default = [](const AnalysisContext& ctx) -> std::string {
    const ModelConfig& c = ctx.model.config();
    EdgeScalingOptions eo;
    eo.pair_heads = ctx.options.heads_of_interest;
    const size_t passes = edge_scaling_hooked_passes(c, eo);
    if (passes == 0) return "";
    return "a " + std::to_string(c.n_layers) + "-layer model has no shortcut: " + std::to_string(passes) +
           " hooked forward passes over " + std::to_string(ctx.data.examples.size()) +
           " examples (minutes); ask for it with --only edge_scaling, and shorten it with --heads-of-interest "
           "(fewer pairs) or --n (fewer examples)";
  };
  a.run = [](const AnalysisContext& ctx) -> std::unique_ptr<AnalysisResult> {
    EdgeScalingOptions eo;
    eo.threads = ctx.options.threads;
    eo.pair_heads = ctx.options.heads_of_interest;
    EdgeScalingResult r = edge_scaling(ctx.model, ctx.data, default_edge_target(ctx.task), eo);
    return std::make_unique<EdgeScalingAnalysisResult>(std::move(r.summary), std::move(r.tables));
  };
  return a;
}

Analysis attention_analysis() {
  return summary_analysis<AttentionAnalysisResult>(
      "attention", "attention of the query row to the key target and to each key class", always_applies,
      [](const AnalysisContext& ctx) {
        return attention_stats(ctx.model, ctx.task, ctx.data, default_edge_target(ctx.task), ctx.options.threads);
      });
}

}  // namespace hc
