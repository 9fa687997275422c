// headcount inspect: one example through the model: tokens, prediction, and
// each head's attention from the answer position.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "core/error.hpp"

namespace hc::cli {

namespace {

struct InspectFlags {
  LoadFlags load;
  std::string example, eval_set;
  int index = 0;
  uint64_t seed = 1;
  bool json = false;
};

std::vector<double> softmax(const float* z, int V) {
  std::vector<double> p(V);
  const double m = *std::max_element(z, z + V);
  double s = 0;
  for (int v = 0; v < V; ++v) s += (p[v] = std::exp(double(z[v]) - m));
  for (auto& x : p) x /= s;
  return p;
}

void run(const InspectFlags& f) {
  LoadedModel m = load_model(f.load);
  const Task& task = *m.task;
  Example ex;
  std::string origin;
  if (!f.example.empty()) {
    ex = task.parse(f.example, 1);
    origin = "--example";
  } else {
    Dataset ds = eval_dataset(task, f.eval_set, std::max(f.index + 1, 1), f.seed);
    if (f.index < 0 || f.index >= int(ds.examples.size()))
      throw Error("--index " + std::to_string(f.index) + " is out of range: " + ds.source + " has " +
                  std::to_string(ds.examples.size()) + " examples");
    ex = ds.examples[size_t(f.index)];
    origin = ds.source + ", example " + std::to_string(f.index);
  }
  const ModelConfig& c = m.model->config();
  const int T = c.n_ctx, V = c.d_vocab, H = c.n_heads, L = c.n_layers;
  Activations<float> a;
  m.model->run_full(ex.seq.data(), 1, nullptr, 0, nullptr, a);
  const int qp = ex.query_pos;
  auto p_ans = softmax(a.logits.data() + size_t(qp) * V, V);
  auto p_next = softmax(a.logits.data() + size_t(qp + 1) * V, V);
  const int pred = int(std::max_element(p_ans.begin(), p_ans.end()) - p_ans.begin());
  const int pred_next = int(std::max_element(p_next.begin(), p_next.end()) - p_next.begin());
  const auto& names = task.vocab();
  const auto& pat = a.layers[L - 1].pattern;  // [1,H,T,T]
  const int last_key = qp;

  if (f.json) {
    nlohmann::json tokens = nlohmann::json::array(), attn = nlohmann::json::array();
    for (int t = 0; t <= qp + 1; ++t) tokens.push_back(names[ex.seq[t]]);
    for (int h = 0; h < H; ++h) {
      nlohmann::json row = nlohmann::json::array();
      for (int j = 0; j <= last_key; ++j) row.push_back(pat[(size_t(h) * T + qp) * T + j]);
      attn.push_back(row);
    }
    nlohmann::json j = {{"example", task.format(ex)}, {"tokens", tokens},     {"query_position", qp},
                        {"answer", names[ex.answer]}, {"prediction", names[pred]},
                        {"probability", p_ans[pred]}, {"next_prediction", names[pred_next]},
                        {"attention_layer", L - 1},   {"attention", attn}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (const auto& note : m.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  std::printf("example:    %s  (%s)\n", task.format(ex).c_str(), origin.c_str());
  std::vector<int> order(V);
  for (int v = 0; v < V; ++v) order[v] = v;
  std::sort(order.begin(), order.end(), [&](int x, int y) { return p_ans[x] > p_ans[y]; });
  std::printf("prediction at %s (position %d): %s (p %.3f)  answer %s  %s\n", names[ex.seq[qp]].c_str(), qp,
              names[pred].c_str(), p_ans[pred], names[ex.answer].c_str(), pred == ex.answer ? "correct" : "WRONG");
  std::printf("  runners-up: %s %.3f, %s %.3f\n", names[order[1]].c_str(), p_ans[order[1]], names[order[2]].c_str(),
              p_ans[order[2]]);
  std::printf("prediction at position %d: %s (p %.3f)\n", qp + 1, names[pred_next].c_str(), p_next[pred_next]);
  std::printf("attention from position %d (%s), layer %d, percent per key:\n", qp, names[ex.seq[qp]].c_str(), L - 1);
  std::printf("%-6s", "head");
  for (int j = 0; j <= last_key; ++j) std::printf("%5s", names[ex.seq[j]].c_str());
  std::printf("\n");
  for (int h = 0; h < H; ++h) {
    std::printf("%-6d", h);
    for (int j = 0; j <= last_key; ++j) std::printf("%5.0f", 100 * pat[(size_t(h) * T + qp) * T + j]);
    std::printf("\n");
  }
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto f = std::make_shared<InspectFlags>();
  CLI::App* sub = app.add_subcommand("inspect", "Show one example: tokens, prediction, per-head attention");
  sub->add_option("--example", f->example, "The example in the text form, e.g. \"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\"");
  sub->add_option("--eval-set", f->eval_set, "Take the example from this text file");
  f->load.add_to(*sub);  // after --eval-set: the command's flag, not the file task's
  add_checked_option(*sub, "--index", f->index, 0, 100000000, "Which example of the evaluation set (default 0)");
  add_seed_option(*sub, f->seed, "Seed of the generated held-out set (default 1)");
  sub->add_flag("--json", f->json, "Print as JSON");
  sub->callback([f] { run(*f); });
}

}  // namespace hc::cli
