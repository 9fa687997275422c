// The Count01 paper's analyses in the registry (ANALYSES.md part A): per-head
// metrics, the w01 intervention and logit dynamics. They apply to one-layer
// models of a task with counting traits (Task::counting).
#include "core/error.hpp"
#include "interp/builtin/text_kit.hpp"
#include "interp/head_metrics.hpp"
#include "interp/logit_dynamics.hpp"
#include "interp/w01_intervention.hpp"

namespace hc {

namespace {

using namespace text_kit;
using nlohmann::json;

class HeadMetricsAnalysisResult : public SummaryResult {
 public:
  HeadMetricsAnalysisResult(HeadMetricsResult r, std::string train_source, size_t n_train)
      : SummaryResult(std::move(r.summary), std::move(r.tables)),
        heads(std::move(r.heads)),
        weighted_s_acc(r.weighted_s_acc),
        train_source_(std::move(train_source)),
        n_train_(n_train) {}
  std::vector<HeadMetric> heads;
  double weighted_s_acc;

  json top_level() const override {
    json heads_json = json::array();
    for (const auto& h : summary_.at("heads"))
      heads_json.push_back({{"head", h.at("head")},
                            {"s_acc", h.at("s_acc")},
                            {"l_acc", h.at("l_acc")},
                            {"auc", h.at("auc")},
                            {"w01", h.at("w01")},
                            {"w02", h.at("w02")},
                            {"success", h.at("success")},
                            {"failure", h.at("failure")}});
    return {
        {"train_set", train_source_}, {"n_train", n_train_}, {"heads", heads_json}, {"weighted_s_acc", weighted_s_acc}};
  }
  std::vector<HeadValue> head_values() const override {
    std::vector<HeadValue> out;
    for (const HeadMetric& m : heads) {
      out.push_back({m.head, "s_acc", m.s_acc});
      out.push_back({m.head, "l_acc", m.l_acc});
      out.push_back({m.head, "auc", m.auc});
      out.push_back({m.head, "w01", m.w01});  // NaN (NULL in SQLite) if no string had both a 0 and a 1
      out.push_back({m.head, "w02", m.w02});
      out.push_back({m.head, "success", m.success ? 1.0 : 0.0});
    }
    return out;
  }
  json run_values() const override { return {{"weighted_s_acc", weighted_s_acc}}; }

  void text(std::ostream& o, const ModelConfig&) const override {
    const json& m = summary_;
    o << "\nCount01 head metrics at '=' (probe fitted on " << train_source_ << ", " << n_train_
      << " examples; scored on the eval set)\n";
    o << "  head   s-acc    l-acc    AUC       w01        w02        success  "
         "failure\n";
    for (const auto& h : m["heads"]) {
      char line[200];
      std::snprintf(line, sizeof line, "  %-6d %-8s %-8s %-9s %-10s %-10s %-8s %s\n", h["head"].get<int>(),
                    num(h["s_acc"], "%.4f").c_str(), num(h["l_acc"], "%.4f").c_str(), num(h["auc"], "%.5f").c_str(),
                    num(h["w01"], "%.4g").c_str(), num(h["w02"], "%.4g").c_str(),
                    h["success"].get<bool>() ? "yes" : "no", h["failure"].get<std::string>().c_str());
      o << line;
    }
    o << "  weighted head s-acc: " << num(m["weighted_s_acc"], "%.4f")
      << "; successful heads (s-acc >= " << num(m["thresholds"]["success_s_acc"]) << "): " << m["n_successful"]
      << " of " << m["heads"].size() << "\n";
  }

 private:
  std::string train_source_;
  size_t n_train_;
};

class W01AnalysisResult : public SummaryResult {
 public:
  W01AnalysisResult(W01InterventionResult r, std::string train_source, size_t n_train)
      : SummaryResult(std::move(r.summary), std::move(r.tables)),
        train_source_(std::move(train_source)),
        n_train_(n_train) {}
  json top_level() const override { return {{"train_set", train_source_}, {"n_train", n_train_}}; }
  void text(std::ostream& o, const ModelConfig&) const override {
    const json& w = summary_;
    o << "\nw01 intervention: s-acc with the head's attention at '=' replaced "
         "by the synthetic 0/1 row\n";
    o << "  head   now   ";
    for (const auto& g : w["grid"]) {
      char col[16];
      std::snprintf(col, sizeof col, " %-6s", num(g, "%.3g").c_str());
      o << col;
    }
    o << "   (w01)\n";
    for (const auto& h : w["heads"]) {
      char head[48];
      std::snprintf(head, sizeof head, "  %-6d %-6s", h["head"].get<int>(), num(h["s_acc_unmodified"]).c_str());
      o << head;
      for (const auto& a : h["s_acc"]) {
        char col[16];
        std::snprintf(col, sizeof col, " %-6s", num(a).c_str());
        o << col;
      }
      o << "\n";
    }
  }

 private:
  std::string train_source_;
  size_t n_train_;
};

class LogitDynamicsAnalysisResult : public SummaryResult {
 public:
  using SummaryResult::SummaryResult;
  void text(std::ostream& o, const ModelConfig&) const override {
    const json& d = summary_;
    o << "\nLogit dynamics: the answer is the top logit at '=' in " << pct(d["answer_top_at_eq"].get<double>())
      << " of examples, EOS at the answer position in " << pct(d["eos_top_at_answer"].get<double>()) << " (both "
      << pct(d["both"].get<double>()) << ")\n";
    char header[200];
    std::snprintf(header, sizeof header, "  %-29s %-26s %s\n", "mean logit (4 / 5 / EOS)", "answer 4", "answer 5");
    o << header;
    for (const char* pos : {"eq", "answer"}) {
      auto triple = [&](const json& j) { return num(j["4"]) + " / " + num(j["5"]) + " / " + num(j["EOS"]); };
      char line[200];
      std::snprintf(line, sizeof line, "  %-29s %-26s %s\n", std::string(pos) == "eq" ? "at '='" : "at the answer",
                    triple(d["mean_logits"][pos]["4"]).c_str(), triple(d["mean_logits"][pos]["5"]).c_str());
      o << line;
      std::snprintf(line, sizeof line, "  %-29s %-26s %s\n", "  of which the heads",
                    triple(d["parts"][pos]["4"]["heads"]).c_str(), triple(d["parts"][pos]["5"]["heads"]).c_str());
      o << line;
    }
    o << "  heads biased toward 4: " << d["n_toward_4"] << ", toward 5: " << d["n_toward_5"] << "\n";
    o << "  head   bias 5-4   share   |W_O W_U| 4/5/EOS       favours at '=' "
         "(ans 4, 5)  at the answer (ans 4, 5)\n";
    for (const auto& h : d["heads"]) {
      const auto& n = h["wo_wu_norm"];
      const auto& f = h["favours"];
      auto fav = [](const json& j) { return j.is_null() ? std::string("-") : j.get<std::string>(); };
      char line[240];
      std::snprintf(line, sizeof line, "  %-6d %-10s %-7s %-23s %-26s %s\n", h["head"].get<int>(),
                    num(h["bias_45"]).c_str(),
                    h["share_of_logit_diff"].is_null() ? "-" : pct(h["share_of_logit_diff"].get<double>()).c_str(),
                    (num(n["4"]) + " / " + num(n["5"]) + " / " + num(n["EOS"])).c_str(),
                    (fav(f["eq"]["4"]) + ", " + fav(f["eq"]["5"])).c_str(),
                    (fav(f["answer"]["4"]) + ", " + fav(f["answer"]["5"])).c_str());
      o << line;
    }
  }
};

const Dataset& nonempty_train(const AnalysisContext& ctx) {
  const Dataset& train = ctx.train_set();
  if (train.examples.empty())
    throw Error("the train set '" + train.source + "' holds no examples: give a file with at least one example");
  return train;
}

}  // namespace

// The paper's probe analyses: fitted on the train split, scored on the eval
// set.
template <class Result, class Compute>
Analysis probe_analysis(std::string name, std::string description, Compute compute) {
  Analysis a;
  a.name = std::move(name);
  a.description = std::move(description);
  a.not_applicable = not_one_layer_counting;
  a.uses_train_set = true;
  a.run = [compute](const AnalysisContext& ctx) -> std::unique_ptr<AnalysisResult> {
    const Dataset& train = nonempty_train(ctx);
    return std::make_unique<Result>(compute(ctx, train), train.source, train.examples.size());
  };
  return a;
}

Analysis head_metrics_analysis() {
  return probe_analysis<HeadMetricsAnalysisResult>(
      "head_metrics",
      "the Count01 paper's per-head s-acc, l-acc, AUC, w01, w02 and failure "
      "signatures",
      [](const AnalysisContext& ctx, const Dataset& train) {
        return head_metrics(ctx.model, ctx.task, train, ctx.data);
      });
}

Analysis w01_intervention_analysis() {
  return probe_analysis<W01AnalysisResult>("w01_intervention",
                                           "s-acc with each head's attention at '=' replaced by a synthetic row of "
                                           "given w01",
                                           [](const AnalysisContext& ctx, const Dataset& train) {
                                             return w01_intervention(ctx.model, ctx.task, train, ctx.data);
                                           });
}

Analysis logit_dynamics_analysis() {
  return summary_analysis<LogitDynamicsAnalysisResult>(
      "logit_dynamics",
      "the 4/5/EOS logits at '=' and at the answer, split into embedding, "
      "heads and biases",
      not_one_layer_counting, [](const AnalysisContext& ctx) { return logit_dynamics(ctx.model, ctx.task, ctx.data); });
}

}  // namespace hc
