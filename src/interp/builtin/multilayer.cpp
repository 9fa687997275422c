// The multi-layer analyses in the registry (issue 15, docs/CIRCUITS.md):
// composition scores, path-level DLA, exhaustive subset ablation and the
// logit lens; the patching ones are in multilayer_patching.cpp. Each applies
// to models with at least 2 layers (path DLA to exactly 2).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "interp/builtin/text_kit.hpp"
#include "interp/composition.hpp"
#include "interp/logit_lens.hpp"
#include "interp/path_dla.hpp"
#include "interp/subset_ablation.hpp"

namespace hc {

std::string needs_two_layers(const ModelConfig& c, const Task&);  // multilayer_patching.cpp

namespace {

using namespace text_kit;
using nlohmann::json;

std::string dataset_note(const Dataset& d) {
  return d.source + " (" + std::to_string(d.examples.size()) + " examples)";
}

// ---- composition ----

class CompositionResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    const json& s = summary_;
    const std::vector<std::string> keys = head_keys(c);
    o << "\nComposition scores (|OV_sender M_receiver| / (|OV_sender| |M_receiver|), M = QK, QK^T or OV)\n";
    o << "  random baseline (" << s["baseline_draws"].get<int>() << " Gaussian draws): ";
    for (const char* k : {"q", "k", "v"})
      o << k << " " << num(s["baseline"][k]["mean"], "%.3f") << " +- " << num(s["baseline"][k]["sd"], "%.3f")
        << (std::string(k) == "v" ? "\n" : ", ");
    o << "  receiver via";
    for (int h = 0; h < c.n_heads; ++h) o << "  " << keys[size_t(h)] << " ";
    o << "  (senders)\n";
    for (int r = c.n_heads; r < 2 * c.n_heads && c.n_layers >= 2; ++r)
      for (const char* k : {"q", "k", "v"}) {
        char line[64];
        std::snprintf(line, sizeof line, "  %-8s %-3s", std::string(k) == "q" ? keys[size_t(r)].c_str() : "", k);
        o << line;
        for (int h = 0; h < c.n_heads; ++h)
          o << "  " << num(s["scores"][k][keys[size_t(h)] + "->" + keys[size_t(r)]], "%.3f") << " ";
        o << "\n";
      }
    o << "  highest above the baseline: ";
    int i = 0;
    for (const auto& t : s["top"])
      o << (i++ ? ", " : "") << t["sender"].get<std::string>() << " -> " << t["receiver"].get<std::string>() << " via "
        << t["kind"].get<std::string>() << " " << num(t["score"], "%.3f") << " (" << num(t["z"], "%+.1f") << " sd)";
    o << (i ? "\n" : "none\n");
  }
};

std::unique_ptr<AnalysisResult> run_composition(const AnalysisContext& ctx) {
  const ModelConfig& c = ctx.model.config();
  const CompositionScores s = composition_scores(ctx.model, 200, ctx.options.seed);
  const std::vector<std::string> keys = head_keys(c);
  Table t;
  t.name = "composition_scores";
  t.description = "Q/K/V composition score of each (sender, receiver) head pair, receiver in a later layer, "
                  "with the random baseline's mean and sd and the score's distance from it in sd";
  t.dataset = "the weights";
  t.columns = {"sender", "receiver", "kind", "score", "baseline_mean", "baseline_sd", "z"};
  json scores = json::object(), top = json::array();
  std::vector<std::tuple<double, int, int, int>> ranked;
  const int F = s.L * s.H;
  for (int k = 0; k < 3; ++k) {
    const char* kn = composition_kind_name(CompositionKind(k));
    scores[kn] = json::object();
    for (int a = 0; a < F; ++a)
      for (int b = 0; b < F; ++b) {
        if (b / s.H <= a / s.H) continue;
        const double v = s.at(CompositionKind(k), a, b);
        const double z = (v - s.baseline_mean[k]) / s.baseline_sd[k];
        scores[kn][keys[size_t(a)] + "->" + keys[size_t(b)]] = v;
        t.add_row({keys[size_t(a)], keys[size_t(b)], kn, v, s.baseline_mean[k], s.baseline_sd[k], z});
        ranked.push_back({z, k, a, b});
      }
  }
  std::sort(ranked.rbegin(), ranked.rend());
  for (size_t i = 0; i < ranked.size() && i < 5; ++i) {
    const auto [z, k, a, b] = ranked[i];
    if (z < 2) break;  // within two sd of random is not a finding
    top.push_back({{"sender", keys[size_t(a)]}, {"receiver", keys[size_t(b)]},
                   {"kind", composition_kind_name(CompositionKind(k))}, {"score", s.at(CompositionKind(k), a, b)},
                   {"z", z}});
  }
  json baseline = json::object();
  for (int k = 0; k < 3; ++k)
    baseline[composition_kind_name(CompositionKind(k))] = {{"mean", s.baseline_mean[k]}, {"sd", s.baseline_sd[k]}};
  json summary = {{"scores", scores}, {"baseline", baseline}, {"baseline_draws", s.baseline_draws}, {"top", top}};
  return std::make_unique<CompositionResult>(std::move(summary), std::vector<Table>{std::move(t)});
}

// ---- logit lens ----

class LogitLensResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig&) const override {
    o << "\nLogit lens (the residual read through the unembedding at the query)\n";
    for (const auto& st : summary_["stages"]) {
      o << "  after " << st["stage"].get<std::string>() << ": accuracy " << pct(st["accuracy"].get<double>())
        << ", margin " << num(st["margin"], "%+.2f") << "; per answer: ";
      int i = 0;
      for (const auto& k : summary_["answers"])
        o << (i++ ? " " : "") << k.get<std::string>() << " " << pct(st["per_answer"][k.get<std::string>()].get<double>());
      o << "\n";
    }
  }
};

std::unique_ptr<AnalysisResult> run_logit_lens(const AnalysisContext& ctx) {
  const LogitLens r = logit_lens(ctx.model, ctx.data, ctx.options.threads);
  const auto& vocab = ctx.task.vocab();
  Table t;
  t.name = "logit_lens";
  t.description = "accuracy and mean margin at the query when the residual after each stage is read through W_U";
  t.dataset = dataset_note(ctx.data);
  t.columns = {"stage", "accuracy", "margin"};
  for (int cls : r.classes) t.columns.push_back("accuracy_" + vocab[size_t(cls)]);
  json stages = json::array();
  const size_t C = r.classes.size();
  for (size_t s = 0; s < r.stages.size(); ++s) {
    std::vector<json> row = {r.stages[s], r.accuracy[s], r.margin[s]};
    json per = json::object();
    for (size_t k = 0; k < C; ++k) {
      row.push_back(r.class_accuracy[s * C + k]);
      per[vocab[size_t(r.classes[k])]] = r.class_accuracy[s * C + k];
    }
    t.add_row(std::move(row));
    stages.push_back({{"stage", r.stages[s]}, {"accuracy", r.accuracy[s]}, {"margin", r.margin[s]}, {"per_answer", per}});
  }
  json answers = json::array();
  for (int cls : r.classes) answers.push_back(vocab[size_t(cls)]);
  return std::make_unique<LogitLensResult>(json{{"stages", stages}, {"answers", answers}},
                                           std::vector<Table>{std::move(t)});
}

// ---- path-level DLA ----

class PathDlaResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig&) const override {
    const json& s = summary_;
    o << "\nPath DLA (answer logit minus the runner-up's, mean over examples; layer-1 patterns fixed)\n";
    o << "  total " << num(s["total"], "%+.3f") << " = direct " << num(s["parts"]["direct"], "%+.3f") << " + residual "
      << num(s["parts"]["residual"], "%+.3f") << " + the paths below (parts add up within "
      << num(s["max_error"], "%.1e") << " on every example)\n";
    o << "  largest paths: ";
    int i = 0;
    for (const auto& p : s["largest"])
      o << (i++ ? ", " : "") << p["path"].get<std::string>() << " " << num(p["value"], "%+.3f");
    o << "\n";
  }
};

std::unique_ptr<AnalysisResult> run_path_dla(const AnalysisContext& ctx) {
  const ModelConfig& c = ctx.model.config();
  const std::vector<std::string> keys = head_keys(c);
  const int H = c.n_heads;
  const PathDla logit = path_dla(ctx.model, ctx.data, {}, ctx.options.threads);
  const PathDla diff = path_dla(ctx.model, ctx.data, runner_up(ctx.model, ctx.data, ctx.options.threads),
                                ctx.options.threads);
  const double n = double(ctx.data.examples.size());
  double err = 0;
  for (size_t i = 0; i < diff.total.size(); ++i)
    err = std::max({err, std::abs(diff.sum_of_parts(i) - diff.total[i]), std::abs(logit.sum_of_parts(i) - logit.total[i])});
  auto mean = [&](const std::vector<double>& v, size_t stride, size_t k) {
    double s = 0;
    for (size_t i = 0; i < diff.total.size(); ++i) s += v[i * stride + k];
    return s / n;
  };
  Table t;
  t.name = "path_dla";
  t.description = "mean contribution of each path to the answer logit and to its difference from the runner-up";
  t.dataset = dataset_note(ctx.data);
  t.columns = {"path", "kind", "logit", "logit_diff"};
  std::vector<std::pair<double, std::string>> paths;
  auto add = [&](const std::string& path, const std::string& kind, double a, double b) {
    t.add_row({path, kind, a, b});
    if (kind != "total" && kind != "direct" && kind != "residual") paths.push_back({b, path});
  };
  add("embed", "direct", mean(logit.direct, 1, 0), mean(diff.direct, 1, 0));
  for (int h = 0; h < H; ++h)
    add(keys[size_t(h)], "head", mean(logit.head0, H, h), mean(diff.head0, H, h));
  for (int h = 0; h < H; ++h)
    add("embed -> " + keys[size_t(H + h)], "head", mean(logit.head1, H, h), mean(diff.head1, H, h));
  for (int s = 0; s < H; ++s)
    for (int h = 0; h < H; ++h)
      add(keys[size_t(s)] + " -> " + keys[size_t(H + h)], "virtual", mean(logit.virtual_v, H * H, s * H + h),
          mean(diff.virtual_v, H * H, s * H + h));
  add("biases", "residual", mean(logit.residual, 1, 0), mean(diff.residual, 1, 0));
  add("total", "total", mean(logit.total, 1, 0), mean(diff.total, 1, 0));
  std::sort(paths.begin(), paths.end(), [](auto& a, auto& b) { return std::abs(a.first) > std::abs(b.first); });
  json largest = json::array();
  for (size_t i = 0; i < paths.size() && i < 6; ++i) largest.push_back({{"path", paths[i].second}, {"value", paths[i].first}});
  json summary = {{"total", mean(diff.total, 1, 0)},
                  {"parts", {{"direct", mean(diff.direct, 1, 0)}, {"residual", mean(diff.residual, 1, 0)}}},
                  {"largest", largest},
                  {"max_error", err}};
  return std::make_unique<PathDlaResult>(std::move(summary), std::vector<Table>{std::move(t)});
}

// ---- subset ablation ----

class SubsetResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig& c) const override {
    const json& s = summary_;
    const std::vector<std::string> keys = head_keys(c);
    o << "\nSubset ablation over all " << keys.size() << " heads (" << s["subsets"].get<int>()
      << " sets, exact, by forward; accuracy at the query)\n";
    for (const std::string mode : {"zero", "mean", "resample"}) {
      const json& m = s["modes"][mode];
      o << "  " << mode << ": one head ablated: ";
      int i = 0;
      for (const auto& k : keys) o << (i++ ? ", " : "") << k << " " << pct(m["single"][k].get<double>());
      o << "\n    minimal sufficient kept sets (>= " << pct(m["threshold"].get<double>())
        << "): ";
      std::vector<std::string> sets;
      for (const auto& set : m["minimal_sufficient"]) {
        std::vector<std::string> h;
        for (const auto& x : set) h.push_back(x.get<std::string>());
        sets.push_back("{" + join(h, ",") + "}");
      }
      const size_t n_sets = sets.size();
      if (sets.size() > 6) sets.resize(6);
      o << (sets.empty() ? "none" : join(sets, " ")) << (n_sets > 6 ? " ... (" + std::to_string(n_sets) + ")" : "");
      std::vector<std::string> nec;
      for (const auto& x : m["necessary"]) nec.push_back(x.get<std::string>());
      o << "; necessary heads: " << (nec.empty() ? "none" : join(nec, ", ")) << "\n";
      if (mode == "zero" && !nec.empty()) {
        for (const auto& h : nec) {
          o << "    " << h << " ablated, per answer: ";
          int j = 0;
          for (const auto& k : s["answers"])
            o << (j++ ? " " : "") << k.get<std::string>() << " "
              << pct(m["per_answer_single"][h][k.get<std::string>()].get<double>());
          o << "\n";
        }
      }
    }
  }
};

std::unique_ptr<AnalysisResult> run_subsets(const AnalysisContext& ctx) {
  const ModelConfig& c = ctx.model.config();
  const std::vector<std::string> keys = head_keys(c);
  const auto& vocab = ctx.task.vocab();
  const int F = c.n_layers * c.n_heads;
  std::vector<Table> tables;
  json modes = json::object();
  auto set_name = [&](uint64_t m) {
    std::vector<std::string> h;
    for (int f = 0; f < F; ++f)
      if (m >> f & 1) h.push_back(keys[size_t(f)]);
    return h;
  };
  for (AblationMode mode : {AblationMode::zero, AblationMode::mean, AblationMode::resample}) {
    const SubsetAblation s = subset_ablation(ctx.model, ctx.data, mode, ctx.options.threads);
    const SubsetFindings f = subset_findings(s);
    Table t;
    t.name = "subset_ablation_" + mode_name(mode);
    t.description = "accuracy at the query (overall and per answer) with a set of heads " + mode_name(mode) +
                    "-ablated, for every set (" + s.method + ")";
    t.dataset = dataset_note(ctx.data);
    t.columns = {"ablated", "kept", "n_ablated", "accuracy"};
    for (int cls : s.classes) t.columns.push_back("accuracy_" + vocab[size_t(cls)]);
    const uint64_t all = (uint64_t(1) << F) - 1;
    for (uint64_t m = 0; m <= all; ++m) {
      std::vector<json> row = {join(set_name(m), ","), join(set_name(all & ~m), ","), __builtin_popcountll(m),
                               s.accuracy(m)};
      for (size_t k = 0; k < s.classes.size(); ++k) row.push_back(s.class_accuracy(m, k));
      t.add_row(std::move(row));
    }
    tables.push_back(std::move(t));
    json single = json::object(), per = json::object(), minimal = json::array(), necessary = json::array();
    for (int h = 0; h < F; ++h) {
      single[keys[size_t(h)]] = s.accuracy(uint64_t(1) << h);
      json pa = json::object();
      for (size_t k = 0; k < s.classes.size(); ++k)
        pa[vocab[size_t(s.classes[k])]] = s.class_accuracy(uint64_t(1) << h, k);
      per[keys[size_t(h)]] = pa;
    }
    for (uint64_t k : f.minimal_sufficient) minimal.push_back(set_name(k));
    for (int h : f.necessary) necessary.push_back(keys[size_t(h)]);
    modes[mode_name(mode)] = {{"full_accuracy", s.accuracy(0)}, {"threshold", f.threshold},
                              {"single", single},          {"per_answer_single", per},
                              {"minimal_sufficient", minimal}, {"necessary", necessary},
                              {"method", s.method}};
  }
  std::vector<int> present;
  for (const Example& ex : ctx.data.examples) present.push_back(ex.answer);
  std::sort(present.begin(), present.end());
  present.erase(std::unique(present.begin(), present.end()), present.end());
  json answers = json::array();
  for (int a : present) answers.push_back(vocab[size_t(a)]);
  json summary = {{"subsets", 1 << F}, {"modes", modes}, {"answers", answers}};
  return std::make_unique<SubsetResult>(std::move(summary), std::move(tables));
}

}  // namespace

Analysis composition_analysis() {
  Analysis a;
  a.name = "composition";
  a.description = "Q/K/V composition scores between heads of different layers, with a random baseline";
  a.not_applicable = needs_two_layers;
  a.run = run_composition;
  return a;
}

Analysis logit_lens_analysis() {
  Analysis a;
  a.name = "logit_lens";
  a.description = "accuracy at the query with the residual after each layer read through the unembedding";
  a.not_applicable = needs_two_layers;
  a.run = run_logit_lens;
  return a;
}

Analysis path_dla_analysis() {
  Analysis a;
  a.name = "path_dla";
  a.description = "the logit difference split into direct, head, virtual-head (through V) and bias paths";
  a.not_applicable = [](const ModelConfig& c, const Task&) {
    return c.n_layers == 2 ? std::string()
                           : "expands the paths of a 2-layer model; this is a " + std::to_string(c.n_layers) +
                                 "-layer model";
  };
  a.run = run_path_dla;
  return a;
}

Analysis subset_ablation_analysis() {
  Analysis a;
  a.name = "subset_ablation";
  a.description = "every set of heads of every layer ablated (zero, mean, resample), accuracy per answer";
  a.not_applicable = needs_two_layers;
  a.skip_by_default = [](const AnalysisContext& ctx) {
    const ModelConfig& c = ctx.model.config();
    const int F = c.n_layers * c.n_heads;
    if (F > 16) return "2^" + std::to_string(F) + " sets of heads are too many to ablate exhaustively (at most 16 heads)";
    if (c.n_layers != 2 && F > 10)
      return "2^" + std::to_string(F) + " hooked forward passes (the fast path covers 2 layers); run it with "
             "--only subset_ablation";
    return std::string();
  };
  a.run = run_subsets;
  return a;
}

}  // namespace hc
