#include "train/trainer.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/layouts.hpp"
#include "train/batch.hpp"
#include "train/progress.hpp"

namespace hc {

// RNG streams: one per purpose, so adding a consumer never shifts another.
constexpr uint64_t kTestStream = 1;
constexpr uint64_t kBatchStreamBase = 1000000;

void TrainConfig::validate() const {
  task.validate();
  model.validate();
  auto check = [](bool ok, const std::string& msg) {
    if (!ok) throw Error(msg);
  };
  check(steps >= 1, "--steps must be at least 1 (got " + std::to_string(steps) + ")");
  check(steps <= 100000000, "--steps " + std::to_string(steps) + " is absurd; use at most 1e8");
  check(batch >= 1 && batch <= 1000000, "--batch must be in [1, 1000000] (got " + std::to_string(batch) + ")");
  check(opt.lr > 0 && std::isfinite(opt.lr), "--lr must be a positive number");
  check(opt.weight_decay >= 0, "--weight-decay must be >= 0");
  check(opt.beta1 >= 0 && opt.beta1 < 1 && opt.beta2 >= 0 && opt.beta2 < 1, "Adam betas must be in [0, 1)");
  check(warmup >= 0 && warmup < steps, "--warmup must be in [0, steps)");
  check(eval_every >= 1, "--eval-every must be at least 1");
  check(eval_size >= 1, "--eval-size must be at least 1");
  check(target_accuracy >= 0 && target_accuracy <= 1, "--target-accuracy must be in [0, 1] (e.g. 0.99)");
}

TrainConfig default_train_config(const std::string& task_name) {
  TrainConfig c;
  c.task.name = task_name;
  c.task.validate();
  auto task = make_task(c.task);
  c.model.d_vocab = task->vocab_size();
  c.model.n_ctx = task->n_ctx();
  if (task_name == "count01") {
    // The paper's main configuration: D 32, 16 heads of d_head 2, no positions.
    c.model.d_model = 32;
    c.model.n_heads = 16;
    c.model.d_head = 2;
    c.model.pos_embed = false;
    c.model.biases = false;
    c.steps = 3000;
    c.batch = 256;
    c.opt.lr = 3e-3;
    c.opt.weight_decay = 0.01;
    c.eval_every = 250;
    c.eval_size = 4000;
  } else {
    // The Bau lab puzzle 1a recipe.
    c.model.d_model = 64;
    c.model.n_heads = 4;
    c.model.d_head = 16;
    c.model.pos_embed = true;
    c.model.biases = false;
    c.steps = 20000;
    c.batch = 512;
    c.opt.lr = 1e-3;
    c.opt.weight_decay = 0.01;
    c.eval_every = 1000;
    c.eval_size = 5000;
  }
  return c;
}

nlohmann::json to_json(const TrainConfig& c) {
  return {{"task", to_json(c.task)},
          {"model", to_json(c.model)},
          {"steps", c.steps},
          {"batch", c.batch},
          {"lr", c.opt.lr},
          {"weight_decay", c.opt.weight_decay},
          {"beta1", c.opt.beta1},
          {"beta2", c.opt.beta2},
          {"eps", c.opt.eps},
          {"schedule", schedule_name(c.schedule)},
          {"warmup", c.warmup},
          {"eval_every", c.eval_every},
          {"eval_size", c.eval_size},
          {"target_accuracy", c.target_accuracy},
          {"seed", c.seed}};
}

TrainConfig train_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": the configuration must be a JSON object");
  TrainConfig c;
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if (k == "task") c.task = task_config_from_json(*it, source);
      else if (k == "model") c.model = model_config_from_json(*it, source);
      else if (k == "steps") c.steps = it->get<int64_t>();
      else if (k == "batch") c.batch = it->get<int>();
      else if (k == "lr") c.opt.lr = it->get<double>();
      else if (k == "weight_decay") c.opt.weight_decay = it->get<double>();
      else if (k == "beta1") c.opt.beta1 = it->get<double>();
      else if (k == "beta2") c.opt.beta2 = it->get<double>();
      else if (k == "eps") c.opt.eps = it->get<double>();
      else if (k == "schedule") c.schedule = parse_schedule(it->get<std::string>());
      else if (k == "warmup") c.warmup = it->get<int64_t>();
      else if (k == "eval_every") c.eval_every = it->get<int64_t>();
      else if (k == "eval_size") c.eval_size = it->get<int>();
      else if (k == "target_accuracy") c.target_accuracy = it->get<double>();
      else if (k == "seed") c.seed = it->get<uint64_t>();
      else throw Error(source + ": unknown field '" + k + "'");
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": a field has the wrong type: " + e.what());
  }
  c.validate();
  return c;
}

void save_run(const std::string& dir, const TrainConfig& cfg, const Model<float>& model) {
  namespace fs = std::filesystem;
  write_file_atomic((fs::path(dir) / "config.json").string(), to_json(cfg).dump(2) + "\n");
  save_native((fs::path(dir) / "model.safetensors").string(), model.config(), model.params().data(),
              {{"headcount.task_config", to_json(cfg.task).dump()},
               {"headcount.train_config", to_json(cfg).dump()}});
}

namespace {

std::string eval_line(int64_t step, int64_t total, double lr, double loss, const EvalResult& e, double secs) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "step %lld/%lld  lr %.2e  train loss %.4f  test loss %.4f  acc %.2f%%  eos %.2f%%  (%s)",
                (long long)step, (long long)total, lr, loss, e.loss, 100 * e.accuracy, 100 * e.eos_accuracy,
                format_duration(secs).c_str());
  return buf;
}

}  // namespace

TrainResult train(const TrainConfig& cfg, const TrainOptions& opt, Model<float>& model) {
  cfg.validate();
  if (!opt.out_dir.empty()) ensure_writable_dir(opt.out_dir);
  auto task = make_task(cfg.task);
  const Dataset test = generate(*task, Split::Test, cfg.eval_size, cfg.seed, kTestStream);

  AdamW adam(cfg.opt, model.params().size());
  std::vector<float> grad;
  std::ostringstream log;
  log << "step,lr,train_loss,test_loss,test_accuracy,test_eos_accuracy,elapsed_s\n";
  Progress progress(cfg.steps, opt.progress);
  TrainResult result;
  double last_loss = 0;
  std::vector<Example> examples(size_t(cfg.batch));

  for (int64_t step = 0; step < cfg.steps; ++step) {
    Rng rng(cfg.seed, kBatchStreamBase + uint64_t(step));
    for (auto& ex : examples) ex = task->sample(rng, Split::Train);
    const Batch batch = make_batch(*task, examples);
    const double lr = learning_rate(cfg.schedule, cfg.opt.lr, step, cfg.steps, cfg.warmup);
    const double loss = model.loss_and_grad(batch, grad, opt.threads);
    if (!std::isfinite(loss)) {
      progress.finish();
      throw Error("training diverged at step " + std::to_string(step) + ": the loss is " + std::to_string(loss) +
                  "; nothing was written. Lower --lr (now " + std::to_string(cfg.opt.lr) +
                  ") or add --warmup steps");
    }
    adam.step(model.params().data(), grad.data(), lr);
    last_loss = loss;
    result.steps_done = step + 1;

    const bool last = step + 1 == cfg.steps;
    if ((step + 1) % cfg.eval_every == 0 || last) {
      EvalResult e = evaluate(model, *task, test, opt.threads);
      const double secs = progress.elapsed();
      char row[256];
      std::snprintf(row, sizeof row, "%lld,%.6g,%.6f,%.6f,%.6f,%.6f,%.3f\n", (long long)(step + 1), lr, loss, e.loss,
                    e.accuracy, e.eos_accuracy, secs);
      log << row;
      progress.line(eval_line(step + 1, cfg.steps, lr, loss, e, secs));
      result.final_eval = e;
      if (cfg.target_accuracy > 0 && e.accuracy >= cfg.target_accuracy && e.eos_accuracy >= cfg.target_accuracy) {
        result.reached_target = true;
        progress.line("reached the target accuracy " + std::to_string(cfg.target_accuracy) + "; stopping");
        break;
      }
    } else {
      progress.update(step + 1, loss, result.final_eval.accuracy);
    }
  }
  progress.finish();
  (void)last_loss;
  result.seconds = progress.elapsed();
  result.steps_per_second = result.seconds > 0 ? double(result.steps_done) / result.seconds : 0;

  if (!opt.out_dir.empty()) {
    namespace fs = std::filesystem;
    save_run(opt.out_dir, cfg, model);
    write_file_atomic((fs::path(opt.out_dir) / "train_log.csv").string(), log.str());
    nlohmann::json metrics = {{"steps", result.steps_done},
                              {"accuracy", result.final_eval.accuracy},
                              {"eos_accuracy", result.final_eval.eos_accuracy},
                              {"seq_accuracy", result.final_eval.seq_accuracy},
                              {"test_loss", result.final_eval.loss},
                              {"n_test", result.final_eval.n},
                              {"reached_target", result.reached_target}};
    write_file_atomic((fs::path(opt.out_dir) / "metrics.json").string(), metrics.dump(2) + "\n");
  }
  return result;
}

}  // namespace hc
