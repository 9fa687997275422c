// headcount inspect: one example or prompt through the model: its tokens, the
// prediction with the top-k probabilities, every layer's attention from the
// query position, and optionally the prediction with some heads ablated.
#include <algorithm>
#include <optional>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "core/error.hpp"
#include "interp/ablation.hpp"

namespace hc::cli {

namespace {

struct InspectFlags {
  LoadFlags load;
  std::string example, eval_set, ablate;
  int index = 0;
  uint64_t seed = 1;
  int top_k = 3;
  std::optional<int> layer;
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

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// A whole example, or a prompt that stops at the query token (ANS, `=`): the
// task's own answer and EOS complete it (exactly one answer parses, since the
// parser checks the answer).
Example parse_example_or_prompt(const Task& task, const std::string& text) {
  const std::string t = trim(text);
  try {
    return task.parse(t, 1);
  } catch (const Error& whole) {
    // Complete the prompt with every filling of its loss positions (EOS last
    // when the task has one) until one parses; for the built-in tasks exactly
    // one does. Tasks without EOS (count-unique, a file task) and answers of
    // several tokens (max-of-list-digits) complete the same way.
    const auto& names = task.vocab();
    const int eos = task.eos_token(), P = task.n_loss_positions();
    const int free = eos >= 0 && P >= 1 ? P - 1 : P;
    double combos = 1;
    for (int k = 0; k < free; ++k) combos *= double(names.size());
    std::vector<size_t> idx(size_t(std::max(free, 0)), 0);
    std::optional<Example> found;
    for (double n = 0; n < combos && combos <= 1e6; ++n) {
      std::string s = t;
      for (size_t i : idx) s += " " + names[i];
      if (eos >= 0) s += " " + names[size_t(eos)];
      try {
        const Example ex = task.parse(s, 1);
        // A task whose parser does not check the answer (a file task) lets
        // every filling parse: the prompt does not say what is right.
        if (found)
          throw Error("--example '" + t + "': a prompt of " + task.name() +
                      " does not determine its answer; give the whole example with its targets, e.g. '" +
                      task.example_line() + "'");
        found = ex;
      } catch (const Error& e) {
        if (found && std::string(e.what()).rfind("--example", 0) == 0) throw;
      }
      for (int k = free - 1; k >= 0 && ++idx[size_t(k)] == names.size(); --k) idx[size_t(k)] = 0;
    }
    if (found) return *found;
    std::string why = whole.what();
    if (why.rfind("line 1: ", 0) == 0) why = why.substr(8);  // one line: its number says nothing
    throw Error("--example '" + t + "': not an example of " + task.name() + " (" + why +
                "), nor a prompt that ends at its query token: give a whole example of the task, e.g. \"" +
                task.example_line() + "\", or the same cut after its query token");
  }
}

// "L0H1,L1H2" or flat numbers "1,6" -> a mask over the flat head numbering.
uint64_t parse_ablation(const std::string& list, const ModelConfig& c) {
  const int n = c.n_layers * c.n_heads;
  uint64_t mask = 0;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string item = trim(list.substr(start, comma - start));
    start = comma + 1;
    int flat = -1;
    int l = -1, h = -1;
    char tail = 0;
    if (std::sscanf(item.c_str(), "L%dH%d%c", &l, &h, &tail) == 2) {
      if (l < 0 || l >= c.n_layers || h < 0 || h >= c.n_heads)
        throw Error("--ablate: head " + item + " is out of range: the model has " + std::to_string(c.n_layers) +
                    " layer(s) of " + std::to_string(c.n_heads) + " heads (L0H0..L" + std::to_string(c.n_layers - 1) +
                    "H" + std::to_string(c.n_heads - 1) + ")");
      flat = l * c.n_heads + h;
    } else if (!item.empty() && item.find_first_not_of("0123456789") == std::string::npos && item.size() < 4) {
      flat = std::stoi(item);
      if (flat >= n)
        throw Error("--ablate: head " + item + " is out of range: the model has " + std::to_string(n) +
                    " heads, numbered 0.." + std::to_string(n - 1) + " (layer * " + std::to_string(c.n_heads) +
                    " + head)");
    } else {
      throw Error("--ablate: '" + item + "' is not a head: give comma-separated heads such as L0H1,L1H2 or 1,6");
    }
    mask |= 1ull << flat;
  }
  return mask;
}

struct Prediction {
  std::vector<double> p_answer, p_next;  // [V] at the query position and the one after
  int answer = 0, next = 0;              // argmax of each
};

Prediction predict(const Activations<float>& a, int qp, int V) {
  Prediction p;
  p.p_answer = softmax(a.logits.data() + size_t(qp) * V, V);
  p.p_next = softmax(a.logits.data() + size_t(qp + 1) * V, V);
  p.answer = int(std::max_element(p.p_answer.begin(), p.p_answer.end()) - p.p_answer.begin());
  p.next = int(std::max_element(p.p_next.begin(), p.p_next.end()) - p.p_next.begin());
  return p;
}

std::vector<int> top_tokens(const std::vector<double>& p, int k) {
  std::vector<int> order(p.size());
  for (size_t v = 0; v < p.size(); ++v) order[v] = int(v);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return p[size_t(x)] > p[size_t(y)]; });
  order.resize(std::min(order.size(), size_t(k)));
  return order;
}

void run(const InspectFlags& f) {
  LoadedModel m = load_model(f.load);
  const Task& task = *m.task;
  const ModelConfig& c = m.model->config();
  const int T = c.n_ctx, V = c.d_vocab, H = c.n_heads, L = c.n_layers;
  if (f.top_k < 1) throw Error("--top-k must be at least 1 (got " + std::to_string(f.top_k) + ")");
  if (f.layer && (*f.layer < 0 || *f.layer >= L))
    throw Error("--layer " + std::to_string(*f.layer) + " is out of range: the model has " + std::to_string(L) +
                " layer(s), numbered 0.." + std::to_string(L - 1));
  const uint64_t ablated = f.ablate.empty() ? 0 : parse_ablation(f.ablate, c);
  Example ex;
  std::string origin;
  if (!f.example.empty()) {
    ex = parse_example_or_prompt(task, f.example);
    origin = "--example";
  } else {
    if (f.index < 0)
      throw Error("--index " + std::to_string(f.index) + " is out of range: examples are numbered from 0");
    Dataset ds = eval_dataset(task, f.eval_set, f.index + 1, f.seed);
    if (f.index >= int(ds.examples.size()))
      throw Error("--index " + std::to_string(f.index) + " is out of range: " + ds.source + " has " +
                  std::to_string(ds.examples.size()) + " examples");
    ex = ds.examples[size_t(f.index)];
    origin = ds.source + ", example " + std::to_string(f.index);
  }
  Activations<float> a;
  m.model->run_full(ex.seq.data(), 1, nullptr, 0, nullptr, a);
  const int qp = ex.query_pos;
  const Prediction clean = predict(a, qp, V);
  std::optional<Prediction> abl;
  if (ablated) {
    // Zero ablation of z at every position, through the analyses' own setter.
    Dataset one;
    one.examples = {ex};
    auto refs = std::make_shared<AblationRefs>();
    refs->mode = AblationMode::zero;
    refs->L = L, refs->T = T, refs->H = H, refs->E = c.d_head;
    Hooks<float> hooks;
    ablation_setter(*m.model, refs, {ablated})(0, Chunk{&one, 0, 1, nullptr, nullptr}, hooks);
    Activations<float> b;
    m.model->run_full(ex.seq.data(), 1, nullptr, 0, &hooks, b);
    abl = predict(b, qp, V);
  }
  const auto& names = task.vocab();
  std::vector<int> layers;
  for (int l = 0; l < L; ++l)
    if (!f.layer || *f.layer == l) layers.push_back(l);
  auto weight = [&](int l, int h, int j) { return a.layers[size_t(l)].pattern[(size_t(h) * T + qp) * T + j]; };
  auto head_label = [&](int l, int h) { return head_key(c, l * H + h); };

  if (f.json) {
    auto top_json = [&](const std::vector<double>& p) {
      nlohmann::json t = nlohmann::json::array();
      for (int v : top_tokens(p, f.top_k)) t.push_back({{"token", names[size_t(v)]}, {"probability", p[size_t(v)]}});
      return t;
    };
    nlohmann::json tokens = nlohmann::json::array(), keys = nlohmann::json::array(), attn = nlohmann::json::array();
    for (int t = 0; t <= qp + 1; ++t) tokens.push_back(names[size_t(ex.seq[size_t(t)])]);
    for (int j = 0; j <= qp; ++j) keys.push_back(names[size_t(ex.seq[size_t(j)])]);
    for (int l : layers)
      for (int h = 0; h < H; ++h) {
        nlohmann::json w = nlohmann::json::array();
        for (int j = 0; j <= qp; ++j) w.push_back(weight(l, h, j));
        attn.push_back({{"layer", l}, {"head", h}, {"weights", w}});
      }
    nlohmann::json j = {{"model", m.source},
                        {"task", task.name()},
                        {"config", to_json(c)},
                        {"example", task.format(ex)},
                        {"origin", origin},
                        {"tokens", tokens},
                        {"query_position", qp},
                        {"answer", names[size_t(ex.answer)]},
                        {"prediction", names[size_t(clean.answer)]},
                        {"probability", clean.p_answer[size_t(clean.answer)]},
                        {"correct", clean.answer == ex.answer},
                        {"top_k", top_json(clean.p_answer)},
                        {"next_prediction", names[size_t(clean.next)]},
                        {"next_probability", clean.p_next[size_t(clean.next)]},
                        {"attention_keys", keys},
                        {"attention_patterns", attn},
                        {"notes", m.notes}};
    if (abl) {
      nlohmann::json heads = nlohmann::json::array();
      for (int h = 0; h < L * H; ++h)
        if (ablated >> h & 1) heads.push_back(head_key(c, h));
      j["ablated"] = {{"mode", "zero"},
                       {"heads", heads},
                       {"prediction", names[size_t(abl->answer)]},
                       {"probability", abl->p_answer[size_t(abl->answer)]},
                       {"correct", abl->answer == ex.answer},
                       {"top_k", top_json(abl->p_answer)},
                       {"next_prediction", names[size_t(abl->next)]},
                       {"next_probability", abl->p_next[size_t(abl->next)]}};
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (const auto& note : m.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  auto print_top = [&](const std::vector<double>& p) {
    std::printf("  top %d:", f.top_k);
    for (int v : top_tokens(p, f.top_k)) std::printf("  %s %.3f", names[size_t(v)].c_str(), p[size_t(v)]);
    std::printf("\n");
  };
  std::printf("example:    %s  (%s)\n", task.format(ex).c_str(), origin.c_str());
  std::printf("prediction at %s (position %d): %s (p %.3f)  answer %s  %s\n", names[size_t(ex.seq[size_t(qp)])].c_str(),
              qp, names[size_t(clean.answer)].c_str(), clean.p_answer[size_t(clean.answer)],
              names[size_t(ex.answer)].c_str(), clean.answer == ex.answer ? "correct" : "WRONG");
  print_top(clean.p_answer);
  // The position after the query is shown only where the task takes a loss
  // there (EOS, or 1b's ones digit); count-unique's answer ends the example.
  const bool next_is_scored = std::find(ex.loss_pos.begin(), ex.loss_pos.end(), qp + 1) != ex.loss_pos.end();
  if (next_is_scored)
    std::printf("prediction at position %d: %s (p %.3f)\n", qp + 1, names[size_t(clean.next)].c_str(),
                clean.p_next[size_t(clean.next)]);
  if (abl) {
    std::printf("with %s zero-ablated: %s (p %.3f)  answer %s  %s%s\n", f.ablate.c_str(),
                names[size_t(abl->answer)].c_str(), abl->p_answer[size_t(abl->answer)], names[size_t(ex.answer)].c_str(),
                abl->answer == ex.answer ? "correct" : "WRONG",
                abl->answer == clean.answer ? "" : "  (the prediction changed)");
    print_top(abl->p_answer);
    if (next_is_scored)
      std::printf("  at position %d: %s (p %.3f)\n", qp + 1, names[size_t(abl->next)].c_str(),
                  abl->p_next[size_t(abl->next)]);
  }
  for (int l : layers) {
    std::printf("attention from position %d (%s), layer %d, percent per key:\n", qp,
                names[size_t(ex.seq[size_t(qp)])].c_str(), l);
    std::printf("%-6s", "head");
    for (int j = 0; j <= qp; ++j) std::printf("%5s", names[size_t(ex.seq[size_t(j)])].c_str());
    std::printf("\n");
    for (int h = 0; h < H; ++h) {
      std::printf("%-6s", head_label(l, h).c_str());
      for (int j = 0; j <= qp; ++j) std::printf("%5.0f", 100 * weight(l, h, j));
      std::printf("\n");
    }
  }
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto f = std::make_shared<InspectFlags>();
  CLI::App* sub = app.add_subcommand(
      "inspect", "Show one example or prompt: prediction with top-k probabilities, every layer's attention, ablations");
  CLI::Option* example = sub->add_option(
      "--example", f->example,
      "An example or a prompt ending at the query token, e.g. \"BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS\" or \"0 1 1 2 =\"");
  sub->add_option("--eval-set", f->eval_set, "Take the example from this text file")->excludes(example);
  f->load.add_to(*sub);  // after --eval-set: the command's flag, not the file task's
  add_checked_option(*sub, "--index", f->index, 0, 100000000, "Which example of the evaluation set (default 0)")
      ->excludes(example);
  add_seed_option(*sub, f->seed, "Seed of the generated held-out set (default 1)")->excludes(example);
  add_checked_option(*sub, "--top-k", f->top_k, 1, 100000, "How many of the most likely tokens to show (default 3)");
  add_checked_option(*sub, "--layer", f->layer, 0, 1000, "Show only this layer's attention (default: every layer)");
  sub->add_option("--ablate", f->ablate,
                  "Also predict with these heads zero-ablated, e.g. L0H1,L1H2 (or flat numbers 1,6)");
  sub->add_flag("--json", f->json, "Print as JSON (schema: docs/CLI.md)");
  sub->callback([f] { run(*f); });
}

}  // namespace hc::cli
