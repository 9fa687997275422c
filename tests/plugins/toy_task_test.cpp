// A toy task added from outside src/ through the public registration call
// (tasks/registry.hpp), as docs/ARCHITECTURE.md's "add a task" shows:
// "majority5", five bits, then `=` and whether 1s or 0s are in the majority.
// Once registered it trains with its own recipe, evaluates, round-trips its
// text form, and the head study runs every analysis that needs no task trait
// on it (invariance is skipped: the toy has no families). Nothing in src/
// names it. The registration runs in a forked child (EXPECT_EXIT), so that the
// other tests of this program see only the built-in tasks.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"
#include "studies/head_study.hpp"
#include "tasks/registry.hpp"
#include "train/evaluate.hpp"
#include "train/trainer.hpp"

namespace hc {
namespace plugins_toy_task_test {  // this file's own names (unity builds batch test files)
// ---- the whole plug-in ----

class Majority5Task final : public Task {
 public:
  static constexpr int kN = 5, kEq = 2, kMore0 = 3, kMore1 = 4, kEos = 5;
  explicit Majority5Task(const TaskConfig& c) : cfg_(c) {}
  std::string name() const override { return "majority5"; }
  const TaskConfig& config() const override { return cfg_; }
  int vocab_size() const override { return 6; }
  int n_ctx() const override { return kN + 2; }  // five bits, `=`, the answer
  const std::vector<std::string>& vocab() const override { return vocab_; }

  Example make(const std::vector<int32_t>& bits) const {
    int ones = 0;
    for (int b : bits) ones += b;
    Example ex;
    ex.seq = bits;
    ex.answer = 2 * ones > kN ? kMore1 : kMore0;
    ex.seq.insert(ex.seq.end(), {kEq, ex.answer, kEos});
    ex.query_pos = kN;
    ex.loss_pos = {kN, kN + 1};
    return ex;
  }
  Split split_of(const Example& ex) const override {
    int code = 0;
    for (int i = 0; i < kN; ++i) code = 2 * code + ex.seq[size_t(i)];
    return code % 8 == 0 ? Split::Test : Split::Train;  // 4 of the 32 strings are held out
  }
  Example sample(Rng& rng, Split split) const override {
    while (true) {
      std::vector<int32_t> bits(kN);
      for (auto& b : bits) b = int32_t(rng.below(2));
      Example ex = make(bits);
      if (split_of(ex) == split) return ex;
    }
  }
  std::string format(const Example& ex) const override {
    std::string s;
    for (int i = 0; i < kN + 3; ++i) s += (i ? " " : "") + vocab_[size_t(ex.seq[size_t(i)])];
    return s;
  }
  Example parse(std::string_view line, int line_no) const override {
    std::vector<int32_t> bits;
    std::string tok;
    for (size_t i = 0; i <= line.size(); ++i) {
      if (i < line.size() && line[i] != ' ') {
        tok += line[i];
        continue;
      }
      if (tok.empty()) continue;
      if (int(bits.size()) < kN) {
        if (tok != "0" && tok != "1") throw Error("line " + std::to_string(line_no) + ": expected a bit, got " + tok);
        bits.push_back(tok == "1");
      }
      tok.clear();
    }
    if (int(bits.size()) != kN) throw Error("line " + std::to_string(line_no) + ": expected five bits");
    const Example ex = make(bits);
    if (format(ex) != line) throw Error("line " + std::to_string(line_no) + ": expected '" + format(ex) + "'");
    return ex;
  }
  Recipe recipe() const override {
    Recipe r;
    r.d_model = 16, r.n_heads = 2, r.d_head = 8, r.pos_embed = false;
    r.steps = 300, r.batch = 64, r.lr = 3e-3;
    r.eval_every = 100, r.eval_size = 256;
    return r;
  }

 private:
  TaskConfig cfg_;
  std::vector<std::string> vocab_ = {"0", "1", "=", "more0", "more1", "EOS"};
};

void register_majority5() {
  register_task("majority5", {}, [](const TaskConfig& c) { return std::make_unique<Majority5Task>(c); });
}

// ---- the test, in a child process ----

#define CHECK_OR_EXIT(cond)                                   \
  do {                                                        \
    if (!(cond)) {                                            \
      std::fprintf(stderr, "failed: %s\n", #cond);            \
      std::exit(1);                                           \
    }                                                         \
  } while (0)

void train_evaluate_and_analyze() {
  register_majority5();
  TrainConfig cfg = default_train_config("majority5");
  CHECK_OR_EXIT(cfg.model.d_model == 16 && cfg.steps == 300);  // the task's own recipe
  const auto task = make_task(cfg.task);
  // Text form round trip.
  const Dataset test = generate(*task, Split::Test, 200, 1, 1);
  CHECK_OR_EXIT(task->parse(task->format(test.examples[0]), 1).seq == test.examples[0].seq);
  // Train and evaluate: the held-out strings are ones the model never saw.
  Model<float> model(cfg.model);
  model.init(cfg.seed);
  TrainOptions to;
  to.progress = false;
  to.checkpoint_every = 0;
  const TrainResult tr = train(cfg, to, model);
  CHECK_OR_EXIT(tr.steps_done == 300);
  const EvalResult e = evaluate(model, *task, test, 1);
  std::fprintf(stderr, "majority5 held-out accuracy %.3f\n", e.accuracy);
  CHECK_OR_EXIT(e.accuracy >= 0.95);
  // The head study: every default analysis that applies, none of the
  // Count01 paper's (no counting traits), no invariance (no families).
  const HeadStudy st = head_study(model, *task, test, HeadStudyOptions{});
  std::vector<std::string> ran = st.summary["analyses"].get<std::vector<std::string>>();
  CHECK_OR_EXIT((ran == std::vector<std::string>{"ablation", "edge_scaling", "attention", "value_norms", "dla",
                                                   "circuits"}));
  CHECK_OR_EXIT(st.summary["accuracy"].get<double>() == e.accuracy);
  CHECK_OR_EXIT(st.text.find("Ablation (linear)") != std::string::npos);
  // Invariance by name says what it needs.
  HeadStudyOptions only;
  only.only = {"invariance"};
  try {
    head_study(model, *task, test, only);
    CHECK_OR_EXIT(false);
  } catch (const Error& x) {
    CHECK_OR_EXIT(std::string(x.what()).find("give --families FILE") != std::string::npos);
  }
  std::exit(0);
}

TEST(PluginTask, AToyTaskTrainsEvaluatesAndIsAnalysedWithoutChangesToSrc) {
  EXPECT_EXIT(train_evaluate_and_analyze(), ::testing::ExitedWithCode(0), "");
}

}  // namespace plugins_toy_task_test
}  // namespace hc
