#include "train/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "io/layouts.hpp"
#include "tasks/registry.hpp"
#include "train/batch.hpp"
#include "train/checkpoint.hpp"
#include "train/progress.hpp"
#include "train/train_data.hpp"

namespace hc {

// RNG streams: one per purpose, so adding a consumer never shifts another.
// (train_data.cpp uses 2, 1,000,000 + step and 2^40 + epoch.)
constexpr uint64_t kTestStream = 1;

namespace {

// A number as a user typed it ("1e-03" style), NaN and Inf spelled out.
std::string typed_number(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace

void TrainConfig::validate() const {
  task.validate();
  model.validate();
  auto check = [](bool ok, const std::string& msg) {
    if (!ok) throw Error(msg);
  };
  check(steps >= 1, "--steps must be at least 1 (got " + std::to_string(steps) + ")");
  check(steps <= 100000000, "--steps " + std::to_string(steps) + " is absurd; use at most 1e8");
  check(batch >= 1 && batch <= 1000000, "--batch must be in [1, 1000000] (got " + std::to_string(batch) + ")");
  check(opt.lr > 0 && std::isfinite(opt.lr), "--lr must be a positive number (got " + typed_number(opt.lr) + "), e.g. 1e-3");
  check(opt.weight_decay >= 0, "--weight-decay must be >= 0 (got " + typed_number(opt.weight_decay) + ")");
  check(opt.eps > 0 && std::isfinite(opt.eps), "Adam eps must be a small positive number (got " + typed_number(opt.eps) + "), e.g. 1e-8");
  check(opt.beta1 >= 0 && opt.beta1 < 1 && opt.beta2 >= 0 && opt.beta2 < 1, "Adam betas must be in [0, 1)");
  check(warmup >= 0 && warmup < steps, "--warmup " + std::to_string(warmup) + " must be in [0, --steps " +
                                            std::to_string(steps) + "): warmup must leave steps to train");
  check(eval_every >= 1, "--eval-every must be at least 1 (got " + std::to_string(eval_every) + ")");
  check(eval_size >= 1, "--eval-size must be at least 1 (got " + std::to_string(eval_size) + ")");
  check(train_size >= 0 && train_size <= 100000000,
        "--train-size must be in [0, 1e8] (got " + std::to_string(train_size) + "); 0 draws fresh examples every step");
  check(target_accuracy >= 0 && target_accuracy <= 1,
        "--target-accuracy must be in [0, 1] (got " + typed_number(target_accuracy) + "), e.g. 0.99");
  // Each chunk of Model::kChunk examples keeps its own gradient buffer: refuse
  // sizes whose buffers could not be allocated, before anything is.
  const double chunks = std::ceil(double(batch) / Model<float>::kChunk);
  const double grad_gib = chunks * double(ParamTable(model).total()) * sizeof(float) / double(1ull << 30);
  check(grad_gib <= 16, "--batch " + std::to_string(batch) + " with this model needs " +
                            std::to_string(int64_t(chunks)) + " gradient buffers, about " +
                            std::to_string(int64_t(grad_gib)) + " GiB (limit 16 GiB); lower --batch or the model size");
}

TrainConfig default_train_config(const std::string& task_name) {
  TrainConfig c;
  c.task = default_task_config(task_name);  // the task's declared defaults
  // A task defined by inputs that have no default (the file task's data
  // files) cannot be made from its defaults: until they are given it has the
  // generic recipe and no vocabulary or context (build_train_config makes the
  // task with them, and reports what is wrong).
  std::unique_ptr<Task> task;
  const TaskEntry& entry = task_entry(task_name);
  bool defaults_make_a_task = true;
  try {
    if (entry.check) entry.check(c.task);
  } catch (const Error&) {
    defaults_make_a_task = false;
  }
  if (defaults_make_a_task) {
    task = make_task(c.task);
    c.model.d_vocab = task->vocab_size();
    c.model.n_ctx = task->n_ctx();
  }
  const Recipe r = task ? task->recipe() : Recipe{};  // the task's own default recipe
  c.model.n_layers = r.n_layers;
  c.model.d_model = r.d_model;
  c.model.n_heads = r.n_heads;
  c.model.d_head = r.d_head;
  c.model.pos_embed = r.pos_embed;
  c.model.biases = r.biases;
  c.model.init = r.init;
  c.steps = r.steps;
  c.batch = r.batch;
  c.opt.lr = r.lr;
  c.opt.weight_decay = r.weight_decay;
  c.eval_every = r.eval_every;
  c.eval_size = r.eval_size;
  return c;
}

nlohmann::json to_json(const TrainConfig& c) {
  nlohmann::json j = {{"task", to_json(c.task)},
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
  // Only when set, so configs (and weights metadata) of fresh-sample runs stay as they were.
  if (c.train_size > 0) j["train_size"] = c.train_size;
  return j;
}

TrainConfig train_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": the configuration must be a JSON object");
  TrainConfig c;
  namespace jf = json_field;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const std::string what = source + ": field '" + k + "'";
    if (k == "task") c.task = task_config_from_json(*it, source);
    else if (k == "model") c.model = model_config_from_json(*it, source);
    else if (k == "steps") c.steps = jf::integer<int64_t>(*it, what);
    else if (k == "batch") c.batch = jf::integer<int>(*it, what);
    else if (k == "lr") c.opt.lr = jf::number(*it, what);
    else if (k == "weight_decay") c.opt.weight_decay = jf::number(*it, what);
    else if (k == "beta1") c.opt.beta1 = jf::number(*it, what);
    else if (k == "beta2") c.opt.beta2 = jf::number(*it, what);
    else if (k == "eps") c.opt.eps = jf::number(*it, what);
    else if (k == "schedule") c.schedule = parse_schedule(jf::string(*it, what));
    else if (k == "warmup") c.warmup = jf::integer<int64_t>(*it, what);
    else if (k == "eval_every") c.eval_every = jf::integer<int64_t>(*it, what);
    else if (k == "eval_size") c.eval_size = jf::integer<int>(*it, what);
    else if (k == "target_accuracy") c.target_accuracy = jf::number(*it, what);
    else if (k == "train_size") c.train_size = jf::integer<int64_t>(*it, what);
    else if (k == "seed") c.seed = jf::integer<uint64_t>(*it, what);
    else throw Error(source + ": unknown field '" + k + "'");
  }
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
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
  std::snprintf(buf, sizeof buf, "step %lld/%lld  lr %.2e  train loss %.4f  test loss %.4f  acc %.2f%%",
                (long long)step, (long long)total, lr, loss, e.loss, 100 * e.accuracy);
  std::string line = buf;
  if (e.has_eos) {
    std::snprintf(buf, sizeof buf, "  eos %.2f%%", 100 * e.eos_accuracy);
    line += buf;
  }
  // A task's own breakdown (e.g. the tens and ones digit) when it is short.
  if (!e.parts.empty() && e.parts.size() <= 3)
    for (const auto& p : e.parts) {
      std::snprintf(buf, sizeof buf, "  %s %.2f%%", p.key.c_str(), 100 * p.accuracy());
      line += buf;
    }
  return line + "  (" + format_duration(secs) + ")";
}

// The divergence guard's message: the step, what was bad, the last good
// checkpoint, and what to change.
std::string divergence_message(int64_t step, double loss, bool grad_ok, const TrainConfig& cfg,
                               const TrainOptions& opt, const std::string& last_checkpoint, int64_t last_step,
                               int bad_in_a_row, std::string what = "") {
  if (what.empty())
    what = !std::isfinite(loss) ? "the loss is " + typed_number(loss)
           : !grad_ok           ? "the gradient holds NaN or Inf values"
                                : "the gradient was poisoned (fault injection)";
  std::string msg = "training diverged at step " + std::to_string(step) + ": " + what;
  if (bad_in_a_row > 1) msg += " (" + std::to_string(bad_in_a_row) + " bad batches in a row; --skip-bad-batches gives up after " + std::to_string(opt.max_bad_in_a_row) + ")";
  msg += ". ";
  if (!last_checkpoint.empty())
    msg += "The last good checkpoint is " + last_checkpoint + " (written after " + std::to_string(last_step) +
           " steps; headcount eval accepts it). ";
  else
    msg += "No checkpoint was written yet and no model was saved. ";
  msg += "Lower --lr (now " + typed_number(cfg.opt.lr) + ") or add --warmup steps (now " + std::to_string(cfg.warmup) + ")";
  if (!opt.skip_bad_batches) msg += ", or pass --skip-bad-batches to skip such batches";
  return msg + ", then train again";
}

}  // namespace

TrainResult train(const TrainConfig& cfg, const TrainOptions& opt, Model<float>& model) {
  cfg.validate();
  if (!opt.out_dir.empty()) ensure_writable_dir(opt.out_dir);
  auto task = make_task(cfg.task);
  const Dataset test = generate(*task, Split::Test, cfg.eval_size, cfg.seed, kTestStream);

  AdamW adam(cfg.opt, model.params().size());
  std::vector<float> grad;
  // A task's accuracy parts (Task::accuracy_parts) are extra columns at the end.
  std::string log = "step,lr,train_loss,test_loss,test_accuracy,test_eos_accuracy,elapsed_s";
  for (const auto& p : task->accuracy_parts()) log += ",test_" + p.key;
  log += "\n";
  TrainResult result;
  double elapsed_before = 0;
  const std::string ck_path = opt.out_dir.empty() ? "" : checkpoint_path(opt.out_dir);
  std::string last_checkpoint;
  int64_t last_checkpoint_step = 0;
  if (opt.resume) {
    const Checkpoint& ck = *opt.resume;
    if (to_json(ck.config) != to_json(cfg) || ck.params.size() != model.params().size())
      throw Error("cannot resume: the checkpoint was written for another configuration");
    model.params() = ck.params;
    adam.m() = ck.m;
    adam.v() = ck.v;
    adam.set_steps_taken(ck.adam_steps);
    log = ck.log;
    elapsed_before = ck.elapsed_s;
    result.resumed_from = result.steps_done = ck.step;
    result.skipped_batches = ck.skipped_batches;
    if (!ck_path.empty()) last_checkpoint = ck_path, last_checkpoint_step = ck.step;
  }
  const int64_t start = result.steps_done;
  const int64_t ck_every = opt.checkpoint_every < 0 ? cfg.eval_every : opt.checkpoint_every;
  auto write_checkpoint = [&](int64_t steps_done, bool finished, double secs) {
    Checkpoint ck{cfg, steps_done, adam.steps_taken(), model.params(), adam.m(), adam.v(),
                  log, secs, result.skipped_batches, finished};
    save_checkpoint(ck_path, ck);
    last_checkpoint = ck_path, last_checkpoint_step = steps_done;
  };

  Progress progress(cfg.steps, opt.progress, start);
  TrainData data(*task, cfg.seed, cfg.train_size);
  std::vector<Example> examples(size_t(cfg.batch));
  int bad_in_a_row = 0;

  for (int64_t step = start; step < cfg.steps; ++step) {
    data.batch(step, cfg.batch, examples);
    const Batch batch = make_batch(*task, examples);
    const double lr = learning_rate(cfg.schedule, cfg.opt.lr, step, cfg.steps, cfg.warmup);
    const double loss = model.loss_and_grad(batch, grad, opt.threads);
    const bool grad_ok = all_finite(grad);
    if (!std::isfinite(loss) || !grad_ok || (opt.poison_step && opt.poison_step(step))) {
      ++bad_in_a_row;
      if (!opt.skip_bad_batches || bad_in_a_row > opt.max_bad_in_a_row) {
        progress.finish();
        throw Error(divergence_message(step, loss, grad_ok, cfg, opt, last_checkpoint, last_checkpoint_step,
                                       bad_in_a_row));
      }
      ++result.skipped_batches;
      progress.line("step " + std::to_string(step) + ": skipped a batch with a non-finite loss or gradient (" +
                    std::to_string(result.skipped_batches) + " skipped so far)");
    } else {
      bad_in_a_row = 0;
      adam.step(model.params().data(), grad.data(), lr);
    }
    result.steps_done = step + 1;

    const bool last = step + 1 == cfg.steps;
    if (opt.on_snapshot && (last || std::find(opt.snapshot_steps.begin(), opt.snapshot_steps.end(), step + 1) !=
                                        opt.snapshot_steps.end()))
      opt.on_snapshot(step + 1, model);
    if ((step + 1) % cfg.eval_every == 0 || last) {
      EvalResult e = evaluate(model, *task, test, opt.threads);
      const double secs = elapsed_before + progress.elapsed();
      char row[256];
      std::snprintf(row, sizeof row, "%lld,%.6g,%.6f,%.6f,%.6f,%.6f,%.3f\n", (long long)(step + 1), lr, loss, e.loss,
                    e.accuracy, e.eos_accuracy, secs);
      log += row;
      if (!e.parts.empty()) {
        log.pop_back();  // the newline
        for (const auto& p : e.parts) {
          std::snprintf(row, sizeof row, ",%.6f", p.accuracy());
          log += row;
        }
        log += '\n';
      }
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
    // A skipped batch leaves the weights as they were, so they are still good;
    // an update that overflowed them (or Adam's moments) must not become the
    // "last good checkpoint".
    if (!ck_path.empty() && ck_every > 0 && (step + 1) % ck_every == 0 && !last) {
      if (!all_finite(model.params()) || !all_finite(adam.m()) || !all_finite(adam.v())) {
        progress.finish();
        throw Error(divergence_message(step, loss, false, cfg, opt, last_checkpoint, last_checkpoint_step, 1,
                                       "the update overflowed the weights or Adam's moments to NaN or Inf"));
      }
      write_checkpoint(step + 1, false, elapsed_before + progress.elapsed());
    }
    if (opt.stop && opt.stop->load(std::memory_order_relaxed) && !last && !result.reached_target) {
      result.interrupted = true;
      // The state after this step's update; not written if the update overflowed (the
      // last periodic checkpoint stays the one to resume from).
      if (!ck_path.empty() && all_finite(model.params()) && all_finite(adam.m()) && all_finite(adam.v()) &&
          last_checkpoint_step != step + 1)
        write_checkpoint(step + 1, false, elapsed_before + progress.elapsed());
      break;
    }
  }
  progress.finish();
  result.seconds = progress.elapsed();
  result.steps_per_second = result.seconds > 0 ? double(result.steps_done - start) / result.seconds : 0;
  if (result.interrupted) return result;

  if (!opt.out_dir.empty()) {
    namespace fs = std::filesystem;
    save_run(opt.out_dir, cfg, model);
    write_file_atomic((fs::path(opt.out_dir) / "train_log.csv").string(), log);
    nlohmann::json metrics = {{"steps", result.steps_done},
                              {"accuracy", result.final_eval.accuracy},
                              {"eos_accuracy", result.final_eval.eos_accuracy},
                              {"seq_accuracy", result.final_eval.seq_accuracy},
                              {"test_loss", result.final_eval.loss},
                              {"n_test", result.final_eval.n},
                              {"reached_target", result.reached_target},
                              {"skipped_batches", result.skipped_batches}};
    if (!result.final_eval.parts.empty()) metrics["accuracy_parts"] = parts_json(result.final_eval.parts);
    write_file_atomic((fs::path(opt.out_dir) / "metrics.json").string(), metrics.dump(2) + "\n");
    // Last: a run killed before this point resumes from its previous checkpoint.
    if (ck_every > 0) write_checkpoint(result.steps_done, true, elapsed_before + result.seconds);
  }
  return result;
}

}  // namespace hc
