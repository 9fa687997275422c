// Training from Python: keyword options go through the same option table as
// `headcount train` (train/options.hpp), so names, defaults, ranges and
// messages are the command line's. Progress and Ctrl-C: the loop calls back
// every `report_every` steps (a snapshot callback, which does not touch the
// weights); the callback takes the GIL, reports progress to Python and checks
// for a pending KeyboardInterrupt, which stops the loop after that step as
// Ctrl-C stops `headcount train` (a checkpoint is written when there is an out
// directory).
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "bindings.hpp"
#include "core/atomic_file.hpp"
#include "train/checkpoint.hpp"
#include "train/options.hpp"

namespace hc::py {

namespace {

// The idle cores, by load average, as the command line's default (cli/common.cpp); results do not depend on it.
int idle_cores() {
  const int cores = std::max(1, omp_get_num_procs());
  double load = 0;
  if (getloadavg(&load, 1) != 1) return cores;
  return std::clamp(int(std::lround(double(cores) - load)), 1, cores);
}

OptionValues train_values(const pyb::dict& kwargs) {
  OptionValues out;
  for (auto kv : kwargs) {
    const TrainOption& o = train_option(pyb::str(kv.first), "headcount.train");
    out[o.spec.name] = check_train_value(o, from_python(kv.second));
  }
  return out;
}

pyb::tuple train_py(const pyb::dict& kwargs, const std::string& out, bool force, const std::string& resume, int threads,
                    pyb::object progress, int64_t report_every, std::optional<int64_t> checkpoint_every) {
  std::optional<Checkpoint> ck;
  if (!resume.empty()) {
    if (pyb::len(kwargs) > 0)
      throw Error("resume= continues " + resume + " with the configuration in its checkpoint; drop the other options");
    ck = load_checkpoint(checkpoint_path(resume));
    if (ck->finished)
      throw Error("resume=" + resume + ": that run finished at step " + std::to_string(ck->step) +
                  "; there is nothing to resume (start a new run to train more)");
  }
  const TrainConfig cfg = ck ? ck->config : build_train_config(train_values(kwargs), BuildRules{false, true});
  TrainOptions opt;
  opt.threads = threads > 0 ? threads : idle_cores();
  opt.progress = false;  // reported through the callback below
  const std::string dir = ck ? resume : out;
  std::optional<StagedDir> staged;
  if (!dir.empty() && !ck && output_dir_state(dir, "out") == DirState::Filled) {
    if (!force)
      throw Error("out=" + dir + " already holds files; pass force=True to replace it whole, or choose another out");
    staged.emplace(dir);
  }
  opt.out_dir = staged ? staged->path() : dir;
  opt.checkpoint_every = dir.empty() ? 0 : checkpoint_every.value_or(-1);
  opt.resume = ck ? &*ck : nullptr;
  std::atomic<bool> stop{false};
  opt.stop = &stop;
  std::optional<pyb::error_already_set> pending;  // the KeyboardInterrupt, raised after the loop stops
  const int64_t every = std::max<int64_t>(1, report_every > 0 ? report_every : cfg.steps / 200);
  for (int64_t s = every; s < cfg.steps; s += every) opt.snapshot_steps.push_back(s);
  opt.on_snapshot = [&](int64_t step, const Model<float>&) {
    pyb::gil_scoped_acquire gil;
    if (!pending && PyErr_CheckSignals() != 0) {
      pending.emplace();  // takes the Python error
      stop.store(true);
      return;
    }
    if (!progress.is_none()) progress(step, cfg.steps);
  };
  auto loaded = make_loaded(cfg, dir.empty() ? "trained in Python" : dir);
  Model<float>& model = *loaded->model;
  model.init(cfg.seed);
  TrainResult r;
  {
    pyb::gil_scoped_release nogil;
    r = train(cfg, opt, model);
  }
  if (staged) staged->commit();
  if (pending) {
    std::string where = dir.empty() ? std::string(" (no out directory, so nothing was saved)")
                                    : "; resume with headcount.train(resume=\"" + dir + "\") or 'headcount train --resume " + dir + "'";
    pyb::object kbi = pyb::module_::import("builtins").attr("KeyboardInterrupt");
    PyErr_SetObject(kbi.ptr(), pyb::str("training stopped at step " + std::to_string(r.steps_done) + " of " +
                                        std::to_string(cfg.steps) + where).ptr());
    throw pyb::error_already_set();
  }
  pyb::dict res;
  res["steps"] = r.steps_done;
  res["resumed_from"] = r.resumed_from;
  res["seconds"] = r.seconds;
  res["steps_per_second"] = r.steps_per_second;
  res["accuracy"] = r.final_eval.accuracy;
  res["eos_accuracy"] = r.final_eval.eos_accuracy;
  res["test_loss"] = r.final_eval.loss;
  res["n"] = r.final_eval.n;
  res["reached_target"] = r.reached_target;
  res["skipped_batches"] = r.skipped_batches;
  res["threads"] = opt.threads;
  res["out"] = dir;
  return pyb::make_tuple(loaded, res);
}

}  // namespace

void init_train(pyb::module_& m) {
  m.def("train", &train_py, pyb::arg("options"), pyb::arg("out") = "", pyb::arg("force") = false,
        pyb::arg("resume") = "", pyb::arg("threads") = 0, pyb::arg("progress") = pyb::none(),
        pyb::arg("report_every") = 0, pyb::arg("checkpoint_every") = pyb::none());
  m.def("train_config", [](const pyb::dict& kwargs) {
    return to_python(to_json(build_train_config(train_values(kwargs), BuildRules{false, true})));
  });
}

}  // namespace hc::py
