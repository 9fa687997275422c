// Models from Python: loading (run directory, puzzle folder, weights file,
// state dict), the forward pass, the activation cache and hooks, weights out.
// Arrays handed to Python view the C++ buffers (no copy); each keeps the
// buffers alive through a capsule. The GIL is released while C++ computes and
// taken again only to call a Python hook.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>

#include "bindings.hpp"
#include "interp/cache.hpp"
#include "io/layouts.hpp"
#include "io/puzzle_checkpoint.hpp"
#include "io/weights_file.hpp"
#include "core/atomic_file.hpp"
#include "tasks/registry.hpp"
#include "train/options.hpp"

namespace hc::py {

namespace fs = std::filesystem;

namespace {

// Task options given to load() or from_state_dict() as keyword arguments.
OptionValues task_values(const pyb::dict& kwargs, const std::string& where) {
  OptionValues out;
  for (auto kv : kwargs) {
    const std::string name = pyb::str(kv.first);
    const TrainOption& o = train_option(name, where);
    if (o.spec.name != "task" && o.tasks.empty())
      throw Error(where + ": " + name + " is a training option; only task options (task and the task's own options) " +
                  "describe a model to load");
    out[o.spec.name] = check_train_value(o, from_python(kv.second));
  }
  return out;
}

std::string task_given(const OptionValues& v) {
  auto it = v.find("task");
  return it == v.end() ? "" : it->second.get<std::string>();
}

ModelPtr finish(TrainConfig cfg, LoadedWeights lw, std::string source, std::vector<std::string> notes) {
  cfg.model = lw.config;
  ModelPtr out = make_loaded(cfg, std::move(source));
  out->model->params() = std::move(lw.params);
  out->notes = std::move(notes);
  out->notes.insert(out->notes.end(), lw.notes.begin(), lw.notes.end());
  return out;
}

ModelHints hints_of(const Task& t) { return ModelHints{t.n_ctx(), t.vocab_size(), t.name()}; }

// The same sources as the command line's MODEL argument (cli/common.cpp).
ModelPtr load(const std::string& path, const std::string& layout_text, const pyb::dict& kwargs) {
  const OptionValues values = task_values(kwargs, "headcount.load");
  std::optional<Layout> layout;
  if (!layout_text.empty()) layout = parse_layout(layout_text);
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw NotFound("'" + path + "' does not exist (give a run directory, a puzzle checkpoint folder, or a .safetensors or .pt file)");
  TrainConfig cfg;
  if (is_puzzle_checkpoint(path)) {
    const PuzzleCheckpoint pc = read_puzzle_checkpoint(path);
    if (!pc.task && task_given(values).empty()) throw Error(pc.missing_task + "; pass task= if the weights fit another task");
    cfg = default_train_config((pc.task ? *pc.task : TaskConfig{}).name);
    cfg.task = apply_task_options(pc.task ? *pc.task : TaskConfig{}, values);
    const Layout l = layout.value_or(Layout::Puzzle);
    const auto task = make_task(cfg.task);
    LoadedWeights lw = load_weights(pc.weights_path, l, hints_of(*task));
    if (l == Layout::Puzzle) check_puzzle_config(pc, lw.config);
    return finish(cfg, std::move(lw), path, pc.notes);
  }
  if (fs::is_directory(path, ec)) {
    const std::string cfg_path = (fs::path(path) / "config.json").string();
    const std::string weights = (fs::path(path) / "model.safetensors").string();
    if (!fs::exists(cfg_path) || !fs::exists(weights))
      throw Error("'" + path + "' is not a run directory: it needs config.json and model.safetensors " +
                  "(or, as a puzzle checkpoint folder, config.json and model.pt; make a run directory with " +
                  "headcount.train or 'headcount import')");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(cfg_path));
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(cfg_path + ": not valid JSON: " + e.what());
    }
    cfg = train_config_from_json(j, cfg_path);
    cfg.task = apply_task_options(cfg.task, values);
    const auto task = make_task(cfg.task);
    return finish(cfg, load_weights(weights, layout.value_or(Layout::Native), hints_of(*task)), path, {});
  }
  st::File file = read_weights_file(path);
  TaskConfig tc;
  auto meta = file.metadata.find("headcount.task_config");
  if (meta != file.metadata.end()) {
    try {
      tc = task_config_from_json(nlohmann::json::parse(meta->second), path + " (metadata)");
    } catch (const nlohmann::json::parse_error&) {
      throw Error(path + ": the metadata entry headcount.task_config is not valid JSON");
    }
  } else if (task_given(values).empty()) {
    throw Error("'" + path + "' does not say which task it was trained on: pass task=\"" +
                task_names().front() + "\" (or another of: " + [] {
                  std::string s;
                  for (const auto& n : task_names()) s += (s.empty() ? "" : ", ") + n;
                  return s;
                }() + ")");
  }
  tc = apply_task_options(tc, values);
  cfg = default_train_config(tc.name);
  cfg.task = tc;
  const auto task = make_task(cfg.task);
  return finish(cfg, load_weights(file, layout, hints_of(*task)), path, {});
}

// A float32 copy of any array-like (numpy, torch, lists).
pyb::array_t<float, pyb::array::c_style> as_float_array(pyb::handle h) {
  pyb::object o = pyb::reinterpret_borrow<pyb::object>(h);
  if (pyb::hasattr(o, "detach") && pyb::hasattr(o, "numpy")) o = o.attr("detach")().attr("cpu")().attr("numpy")();
  return pyb::array_t<float, pyb::array::c_style | pyb::array::forcecast>::ensure(o);
}

// A dict of arrays (state dict) -> a safetensors file in memory.
st::File file_from_state_dict(const pyb::dict& sd, const std::string& source) {
  st::File f;
  f.source = source;
  for (auto kv : sd) {
    const std::string name = pyb::str(kv.first);
    auto a = as_float_array(kv.second);
    if (!a) throw Error(source + ": " + name + " is not an array of numbers");
    std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
    f.tensors.push_back(st::Tensor::from_f32(name, shape, a.data()));
  }
  return f;
}

ModelPtr from_state_dict(const pyb::dict& sd, const std::string& layout_text, const pyb::dict& kwargs) {
  const OptionValues values = task_values(kwargs, "headcount.from_state_dict");
  if (task_given(values).empty())
    throw Error("headcount.from_state_dict: pass task= (a state dict does not say which task it was trained on)");
  std::optional<Layout> layout;
  if (!layout_text.empty()) layout = parse_layout(layout_text);
  const st::File f = file_from_state_dict(sd, "the state dict");
  TrainConfig cfg = default_train_config(task_given(values));
  cfg.task = apply_task_options(cfg.task, values);
  const auto task = make_task(cfg.task);
  return finish(cfg, load_weights(f, layout, hints_of(*task)), "state dict", {});
}

// A numpy array viewing `data` (shape in elements), kept alive by `owner`.
template <class T>
pyb::array view(const T* data, const std::vector<int>& shape, pyb::handle owner) {
  std::vector<pyb::ssize_t> sh(shape.begin(), shape.end());
  return pyb::array_t<T>(sh, data, owner);
}

pyb::dict state_dict(const ModelPtr& m, const std::string& layout_text) {
  const Layout layout = layout_text.empty() ? Layout::Native : parse_layout(layout_text);
  const ModelConfig& c = m->model->config();
  const st::File f = layout == Layout::Native ? to_native_file(c, m->model->params().data(), {})
                                              : to_puzzle_file(c, m->model->params().data(), {});
  pyb::dict out;
  for (const auto& t : f.tensors) {
    const std::vector<float> v = t.to_f32();
    std::vector<pyb::ssize_t> sh(t.shape.begin(), t.shape.end());
    pyb::array_t<float> a(sh);
    std::copy(v.begin(), v.end(), a.mutable_data());
    out[pyb::str(t.name)] = a;
  }
  return out;
}

struct HookPoint {
  std::string name;
};

// The keys a names_filter selects: None (all), a name, a list of names, or a predicate on names.
std::vector<HookKey> selected_keys(const ModelConfig& c, pyb::handle filter) {
  std::vector<HookKey> keys;
  const auto all = all_hook_keys(c.n_layers);
  if (filter.is_none()) return all;
  if (pyb::isinstance<pyb::str>(filter)) return {parse_hook_name(filter.cast<std::string>(), c.n_layers)};
  if (PyCallable_Check(filter.ptr())) {
    for (const auto& k : all)
      if (pyb::cast<bool>(filter(hook_name(k)))) keys.push_back(k);
    return keys;
  }
  for (auto n : filter) keys.push_back(parse_hook_name(pyb::str(n), c.n_layers));
  return keys;
}

using ActsPtr = std::shared_ptr<Activations<float>>;

pyb::capsule owner_of(ActsPtr acts) {
  return pyb::capsule(new ActsPtr(std::move(acts)), [](void* p) { delete static_cast<ActsPtr*>(p); });
}

// Full forward with Python hooks; returns the activations (hooks applied).
ActsPtr run_hooked(const ModelPtr& m, pyb::handle tokens, const pyb::list& fwd_hooks) {
  const ModelConfig& c = m->model->config();
  int B = 0;
  std::vector<int32_t> tok = token_batch(c, tokens, B);
  auto acts = std::make_shared<Activations<float>>();
  Hooks<float> hooks;
  pyb::capsule owner = owner_of(acts);
  for (auto item : fwd_hooks) {
    auto pair = item.cast<pyb::tuple>();
    if (pair.size() != 2) throw Error("fwd_hooks: each hook is a (name, function) pair");
    const HookKey key = parse_hook_name(pair[0].cast<std::string>(), c.n_layers);
    pyb::object fn = pair[1];
    if (!PyCallable_Check(fn.ptr()))
      throw Error("fwd_hooks: the hook for " + hook_name(key) + " is not callable (give a function(activation, hook))");
    hooks.add(key, [fn, key, owner](HookView<float>& v) {
      pyb::gil_scoped_acquire gil;
      std::vector<pyb::ssize_t> sh(v.shape.begin(), v.shape.end());
      pyb::array_t<float> arr(sh, v.data, owner);  // writable view of the buffer
      pyb::object r = fn(arr, HookPoint{hook_name(key)});
      if (r.is_none()) return;
      auto a = as_float_array(r);
      std::vector<int> got(a.shape(), a.shape() + a.ndim());
      if (got != v.shape) {
        std::string want, have;
        for (int s : v.shape) want += (want.empty() ? "" : ", ") + std::to_string(s);
        for (int s : got) have += (have.empty() ? "" : ", ") + std::to_string(s);
        throw Error("the hook on " + hook_name(key) + " returned an array of shape [" + have + "]; it must keep the " +
                    "activation's shape [" + want + "] (or return None after editing it in place)");
      }
      if (a.data() != v.data) std::copy(a.data(), a.data() + v.numel(), v.data);
    });
  }
  {
    pyb::gil_scoped_release nogil;
    m->model->run_full(tok.data(), B, nullptr, c.n_ctx, hooks.empty() ? nullptr : &hooks, *acts);
  }
  return acts;
}

pyb::array logits_of(const ActsPtr& acts, const ModelConfig& c, pyb::handle owner) {
  return view(acts->logits.data(), {acts->B, acts->Q, c.d_vocab}, owner);
}

}  // namespace

ModelPtr make_loaded(const TrainConfig& config, std::string source) {
  auto out = std::make_shared<LoadedModel>();
  out->config = config;
  out->task = make_task(config.task);
  out->model = std::make_unique<Model<float>>(config.model);
  out->source = std::move(source);
  return out;
}

std::vector<int32_t> token_batch(const ModelConfig& c, pyb::handle tokens, int& B) {
  pyb::object o = pyb::reinterpret_borrow<pyb::object>(tokens);
  if (pyb::hasattr(o, "detach") && pyb::hasattr(o, "numpy")) o = o.attr("detach")().attr("cpu")().attr("numpy")();
  pyb::array raw = pyb::array::ensure(o);
  if (!raw || (raw.size() > 0 && raw.dtype().kind() != 'i' && raw.dtype().kind() != 'u'))
    throw Error("tokens must be integer token ids (a numpy array, a torch tensor or nested lists of ints)");
  auto a = pyb::array_t<int64_t, pyb::array::c_style | pyb::array::forcecast>::ensure(raw);
  if (a.ndim() != 1 && a.ndim() != 2)
    throw Error("tokens must have shape [batch, " + std::to_string(c.n_ctx) + "] or [" + std::to_string(c.n_ctx) +
                "] (got " + std::to_string(a.ndim()) + " dimensions)");
  const int T = int(a.shape(a.ndim() - 1));
  B = a.ndim() == 2 ? int(a.shape(0)) : 1;
  if (T != c.n_ctx)
    throw Error("tokens have " + std::to_string(T) + " positions but the model reads exactly " +
                std::to_string(c.n_ctx) + " (pad each sequence to n_ctx; it is causal, so padding after a " +
                "position does not change that position's outputs)");
  if (B < 1) throw Error("tokens: the batch is empty");
  std::vector<int32_t> out(size_t(B) * T);
  const int64_t* d = a.data();
  for (size_t i = 0; i < out.size(); ++i) {
    if (d[i] < 0 || d[i] >= c.d_vocab)
      throw Error("tokens: " + std::to_string(d[i]) + " at [" + std::to_string(i / T) + ", " + std::to_string(i % T) +
                  "] is not a token id (the vocabulary has " + std::to_string(c.d_vocab) + " tokens, 0.." +
                  std::to_string(c.d_vocab - 1) + ")");
    out[i] = int32_t(d[i]);
  }
  return out;
}

void init_model(pyb::module_& m) {
  pyb::class_<HookPoint>(m, "HookPoint", "What a hook function gets as `hook`: hook.name is the hook point's name")
      .def_readonly("name", &HookPoint::name)
      .def("__repr__", [](const HookPoint& h) { return "<HookPoint " + h.name + ">"; });

  pyb::class_<LoadedModel, ModelPtr>(m, "Model")
      .def_property_readonly("config", [](const LoadedModel& l) { return to_python(to_json(l.config)); })
      .def_property_readonly("model_config", [](const LoadedModel& l) { return to_python(to_json(l.config.model)); })
      .def_property_readonly("task_config", [](const LoadedModel& l) { return to_python(to_json(l.config.task)); })
      .def_property_readonly("task", [](const LoadedModel& l) { return std::shared_ptr<Task>(make_task(l.config.task)); })
      .def_property_readonly("source", [](const LoadedModel& l) { return l.source; })
      .def_property_readonly("notes", [](const LoadedModel& l) { return l.notes; })
      .def_property_readonly("n_params", [](const LoadedModel& l) { return l.model->params().size(); })
      .def("hook_names", [](const LoadedModel& l) {
        std::vector<std::string> out;
        for (const auto& k : all_hook_keys(l.model->config().n_layers)) out.push_back(hook_name(k));
        return out;
      })
      // Logits at every position [B,T,V] (the fast path, chunks in parallel).
      .def("logits", [](const ModelPtr& l, pyb::handle tokens, int threads) {
        const ModelConfig& c = l->model->config();
        Batch b;
        b.tokens = token_batch(c, tokens, b.B);
        b.T = b.P = c.n_ctx;
        b.rows.resize(size_t(b.B) * b.T);
        for (size_t i = 0; i < b.rows.size(); ++i) b.rows[i] = int32_t(i % b.T);
        auto out = std::make_shared<std::vector<float>>();
        {
          pyb::gil_scoped_release nogil;
          // The model's scratch buffers are not shared between threads of Python.
          static std::mutex mu;
          std::lock_guard<std::mutex> lock(mu);
          l->model->logits(b, *out, std::max(1, threads));
        }
        using VecPtr = std::shared_ptr<std::vector<float>>;
        pyb::capsule owner(new VecPtr(out), [](void* p) { delete static_cast<VecPtr*>(p); });
        return view(out->data(), {b.B, b.T, c.d_vocab}, owner);
      }, pyb::arg("tokens"), pyb::arg("threads") = 1)
      // (logits, {name: array}) from one Full forward; arrays view the cache.
      .def("run_with_cache", [](const ModelPtr& l, pyb::handle tokens, pyb::handle names_filter) {
        const ModelConfig& c = l->model->config();
        const std::vector<HookKey> keys = selected_keys(c, names_filter);
        ActsPtr acts = run_hooked(l, tokens, pyb::list());
        pyb::capsule owner = owner_of(acts);
        pyb::dict cache;
        for (const auto& k : keys) {
          const CachedPoint p = cache_get(*acts, c, k);
          cache[pyb::str(hook_name(k))] = view(p.data, p.shape, owner);
        }
        return pyb::make_tuple(logits_of(acts, c, owner), cache);
      }, pyb::arg("tokens"), pyb::arg("names_filter") = pyb::none())
      .def("run_with_hooks", [](const ModelPtr& l, pyb::handle tokens, const pyb::list& fwd_hooks) {
        ActsPtr acts = run_hooked(l, tokens, fwd_hooks);
        return logits_of(acts, l->model->config(), owner_of(acts));
      }, pyb::arg("tokens"), pyb::arg("fwd_hooks"))
      .def("state_dict", &state_dict, pyb::arg("layout") = "native")
      .def("save", [](const ModelPtr& l, const std::string& path, const std::string& layout_text) {
        const Layout layout = layout_text.empty() ? Layout::Native : parse_layout(layout_text);
        const std::map<std::string, std::string> meta = {{"headcount.task_config", to_json(l->config.task).dump()}};
        if (layout == Layout::Native) save_native(path, l->model->config(), l->model->params().data(), meta);
        else save_puzzle(path, l->model->config(), l->model->params().data(), meta);
      }, pyb::arg("path"), pyb::arg("layout") = "native");

  // The library's run_with_cache timed in C++ (seconds per call, median of
  // `repeats`), for bench/python_overhead.py: what Python adds is the rest.
  m.def("time_run_with_cache", [](const ModelPtr& l, pyb::handle tokens, int repeats) {
    const ModelConfig& c = l->model->config();
    int B = 0;
    const std::vector<int32_t> tok = token_batch(c, tokens, B);
    std::vector<double> secs;
    pyb::gil_scoped_release nogil;
    for (int r = 0; r < std::max(1, repeats); ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      Activations<float> a = run_with_cache(*l->model, tok.data(), B, nullptr, c.n_ctx);
      secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(secs.begin(), secs.end());
    return secs[secs.size() / 2];
  }, pyb::arg("model"), pyb::arg("tokens"), pyb::arg("repeats") = 5);
  m.def("load", &load, pyb::arg("path"), pyb::arg("layout") = "", pyb::arg("task_options") = pyb::dict());
  m.def("from_state_dict", &from_state_dict, pyb::arg("state_dict"), pyb::arg("layout") = "",
        pyb::arg("task_options") = pyb::dict());
  m.def("hook_names", [](int n_layers) {
    std::vector<std::string> out;
    for (const auto& k : all_hook_keys(n_layers)) out.push_back(hook_name(k));
    return out;
  });
}

}  // namespace hc::py
