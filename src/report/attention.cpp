// Attention patterns for the report's heatmaps: a Full forward over a few
// examples, each head's causal rows kept up to the answer position.
#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "report/report.hpp"

namespace hc {

std::vector<AttentionExample> attention_examples(const Model<float>& model, const Task& task, const Dataset& data,
                                                 int n) {
  const ModelConfig& c = model.config();
  const int T = c.n_ctx, H = c.n_heads, L = c.n_layers, V = c.d_vocab;
  const int B = std::min<int>(std::max(n, 0), int(data.examples.size()));
  std::vector<AttentionExample> out;
  if (B == 0) return out;
  std::vector<int32_t> tokens(size_t(B) * T);  // [B,T]
  for (int b = 0; b < B; ++b) {
    const Example& ex = data.examples[size_t(b)];
    if (int(ex.seq.size()) < T || ex.query_pos < 0 || ex.query_pos >= T)
      throw Error("report: example " + std::to_string(b) + " of " + data.source +
                  " does not fit the model's context of " + std::to_string(T) +
                  " positions (check that the evaluation set belongs to this model's task)");
    std::copy_n(ex.seq.begin(), T, tokens.begin() + size_t(b) * T);
  }
  Activations<float> a;
  model.run_full(tokens.data(), B, nullptr, T, nullptr, a);  // all rows: Q = T in every layer
  const auto& names = task.vocab();
  for (int b = 0; b < B; ++b) {
    const Example& ex = data.examples[size_t(b)];
    AttentionExample e;
    e.text = task.format(ex);
    e.query_pos = ex.query_pos;
    const int len = std::min(T, ex.query_pos + 2);  // through the answer token (the EOS prediction row)
    for (int t = 0; t < len; ++t) e.tokens.push_back(names.at(size_t(ex.seq[size_t(t)])));
    e.answer = ex.answer >= 0 ? names.at(size_t(ex.answer)) : "";
    const float* lg = a.logits.data() + (size_t(b) * T + size_t(ex.query_pos)) * V;  // [B,T,V]
    e.prediction = names.at(size_t(std::max_element(lg, lg + V) - lg));
    for (int l = 0; l < L; ++l) {
      const std::vector<float>& pat = a.layers[size_t(l)].pattern;  // [B,H,T,T]
      for (int h = 0; h < H; ++h) {
        std::vector<float> tri;
        tri.reserve(size_t(len) * (len + 1) / 2);
        for (int q = 0; q < len; ++q)
          for (int k = 0; k <= q; ++k) tri.push_back(pat[((size_t(b) * H + h) * T + q) * T + k]);
        e.pattern.push_back(std::move(tri));
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

ReportInputs model_report_inputs(const std::string& title, const std::string& source, const Model<float>& model,
                                 const Task& task, const Dataset& data, const nlohmann::json& study_summary,
                                 const std::string& train_log) {
  ReportInputs in;
  in.title = title;
  in.model = {{"source", source},
              {"task", task.name()},
              {"config", study_summary.value("config", nlohmann::json())},
              {"parameters", model.params().size()},
              {"accuracy", study_summary.value("accuracy", nlohmann::json())},
              {"eval_set", data.source}};
  if (!train_log.empty() && std::filesystem::exists(train_log)) in.train_log = train_log;
  in.attention = attention_examples(model, task, data, 8);
  in.summary = study_summary;
  return in;
}

}  // namespace hc
