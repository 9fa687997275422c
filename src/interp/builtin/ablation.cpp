// The ablation analysis (interp/ablation.hpp) in the registry: its text block
// and, in sweeps, one zero-ablation accuracy per head.
#include "interp/ablation.hpp"

#include <algorithm>
#include <sstream>

#include "interp/builtin/text_kit.hpp"
#include "interp/cache.hpp"

namespace hc {

namespace {

using namespace text_kit;
using nlohmann::json;

std::string sets(const json& list) {
  std::vector<std::string> parts;
  for (const auto& set : list) {
    std::vector<std::string> h;
    for (const auto& x : set) h.push_back(x.get<std::string>());
    parts.push_back("{" + join(h, ",") + "}");
  }
  return parts.empty() ? "none" : join(parts, " ");
}

class AblationAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  std::vector<HeadValue> sweep_heads;  // set in a sweep: single-head zero ablation

  std::vector<HeadValue> head_values() const override { return sweep_heads; }

  void text(std::ostream& o, const ModelConfig& c) const override {
    const json& a = summary_;
    const std::vector<std::string> keys = head_keys(c);
    const double full = a["full_accuracy"].get<double>();
    o << "\nAblation (" << a["method"].get<std::string>() << "): accuracy with a head removed / only it kept\n";
    o << "  head   zero-ablated   mean-ablated   only-kept (zero)\n";
    std::vector<std::pair<double, std::string>> drops;
    for (const auto& h : keys) {
      const auto& acc = a["zero"]["single"][h];
      char line[160];
      const std::string mean = a.contains("mean") ? pct(a["mean"]["single"][h].get<double>()) : "-";
      std::snprintf(line, sizeof line, "  %-6s %-14s %-14s %s\n", h.c_str(), pct(acc.get<double>()).c_str(),
                    mean.c_str(), pct(a["zero"]["only"][h].get<double>()).c_str());
      o << line;
      drops.push_back({full - acc.get<double>(), h});
    }
    std::sort(drops.rbegin(), drops.rend());
    // A head "matters" when removing it costs at least half a point; below
    // that, naming the largest drops would present noise as a finding.
    const double matters = 0.005;
    if (drops.empty() || drops[0].first < matters) {
      o << "  no head matters alone (largest zero-ablation drop "
        << num(drops.empty() ? 0.0 : 100.0 * std::max(0.0, drops[0].first), "%.1f") << " pts, below "
        << num(100.0 * matters, "%.1f") << ")\n";
    } else {
      o << "  heads that matter most (zero-ablation drop): ";
      for (size_t i = 0; i < drops.size() && i < 4 && drops[i].first >= matters; ++i)
        o << (i ? ", " : "") << drops[i].second << " (-" << num(100.0 * drops[i].first, "%.1f") << " pts)";
      o << "\n";
    }
    std::vector<std::pair<double, std::string>> pairs;
    for (const auto& [k, acc] : a["zero"]["pairs"].items()) pairs.push_back({acc.get<double>(), k});
    std::sort(pairs.begin(), pairs.end());
    o << "  worst pairs removed (zero): ";
    for (size_t i = 0; i < pairs.size() && i < 4; ++i)
      o << (i ? ", " : "") << "{" << pairs[i].second << "} " << pct(pairs[i].first);
    o << "\n";
    for (const char* m : {"zero", "mean"}) {
      if (!a.contains(m)) continue;
      const auto& j = a[m];
      o << "  " << m << ": minimal sufficient kept sets (>= " << pct(a["threshold"].get<double>())
        << "): " << sets(j["minimal_sufficient"]);
      std::vector<std::string> suff;
      for (const auto& [k, acc] : j["only_pairs"].items())
        if (acc.get<double>() >= a["threshold"].get<double>()) suff.push_back("{" + k + "}");
      const size_t n_suff = suff.size();
      if (n_suff > 8) suff.resize(8);
      o << "; sufficient pairs: " << (suff.empty() ? "none" : join(suff, " "))
        << (n_suff > 8 ? " ... (" + std::to_string(n_suff) + " in all)" : "");
      o << "; groups: " << (j["groups"].is_string() ? "none" : sets(j["groups"])) << "\n";
    }
  }
};

// Held-out accuracy at the query position with head `head` zero-ablated (its z
// set to 0 in every layer) on the first n examples of ds.
double accuracy_without_head(const Model<float>& model, const Dataset& ds, size_t n, int head) {
  const ModelConfig& c = model.config();
  const int V = c.d_vocab, L = c.n_layers;
  Hooks<float> hooks;
  for (int l = 0; l < L; ++l)
    hooks.add({Site::z, l}, [&](HookView<float>& v) {  // z [B,Q,H,E]
      const int H = v.shape[2], E = v.shape[3];
      for (int64_t r = 0; r < int64_t(v.shape[0]) * v.shape[1]; ++r) std::fill_n(v.data + (r * H + head) * E, E, 0.f);
    });
  const Activations<float> a = run_at_queries(model, ds, 0, n, &hooks);
  int ok = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* z = a.logits.data() + i * V;
    ok += int(std::max_element(z, z + V) - z) == ds.examples[i].answer;
  }
  return double(ok) / double(n);
}

std::unique_ptr<AnalysisResult> run_ablation(const AnalysisContext& ctx) {
  if (ctx.options.for_sweep) {
    auto r = std::make_unique<AblationAnalysisResult>(json::object(), std::vector<Table>{});
    const size_t n = std::min(ctx.options.sweep_examples ? ctx.options.sweep_examples : ctx.data.examples.size(),
                              ctx.data.examples.size());
    for (int h = 0; h < ctx.model.config().n_heads; ++h)
      r->sweep_heads.push_back({h, "zero_ablation_accuracy", accuracy_without_head(ctx.model, ctx.data, n, h)});
    return r;
  }
  AblationOptions ao;
  ao.threads = ctx.options.threads;
  AblationResult r = ablation_study(ctx.model, ctx.data, ao);
  return std::make_unique<AblationAnalysisResult>(std::move(r.summary), std::move(r.tables));
}

}  // namespace

Analysis ablation_analysis() {
  Analysis a;
  a.name = "ablation";
  a.description =
      "zero and mean ablation of single heads, pairs, kept-only "
      "sets and every subset";
  a.not_applicable = [](const ModelConfig&, const Task&) { return std::string(); };
  a.run = run_ablation;
  return a;
}

}  // namespace hc
