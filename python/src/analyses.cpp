// Analyses from Python: every registered analysis (interp/analysis.hpp) by
// name, run on a model and an evaluation set, giving its typed result; the
// Python layer turns its tables into pandas DataFrames. Also the patch
// driver's ablation and attention-edit logits, reproduce and sweeps.
#include <sstream>

#include "bindings.hpp"
#include "interp/ablation.hpp"
#include "interp/analysis.hpp"
#include "interp/edge_scaling.hpp"
#include "interp/patch.hpp"
#include "studies/reproduce.hpp"
#include "sweep/sweep.hpp"

namespace hc::py {

namespace {

// A result with what made it (the model's config for its text form).
struct PyResult {
  std::string name;
  std::shared_ptr<AnalysisResult> result;
  ModelConfig config;
};

pyb::dict table_dict(const Table& t) {
  pyb::dict d;
  d["name"] = t.name;
  d["description"] = t.description;
  d["dataset"] = t.dataset;
  d["columns"] = t.columns;
  pyb::list rows;
  for (const auto& r : t.rows) {
    pyb::list row;
    for (const auto& cell : r) row.append(to_python(cell));
    rows.append(row);
  }
  d["rows"] = rows;
  return d;
}

pyb::list tables_list(const std::vector<Table>& ts) {
  pyb::list out;
  for (const auto& t : ts) out.append(table_dict(t));
  return out;
}

AnalysisOptions analysis_options(const pyb::dict& kw) {
  AnalysisOptions o;
  for (auto kv : kw) {
    const std::string k = pyb::str(kv.first);
    if (k == "threads") o.threads = kv.second.cast<int>();
    else if (k == "seed") o.seed = kv.second.cast<uint64_t>();
    else if (k == "heads_of_interest") o.heads_of_interest = kv.second.cast<std::vector<int>>();
    else if (k == "families") o.families = kv.second.cast<std::string>();
    else if (k == "n_families") o.n_families = kv.second.cast<int>();
    else
      throw Error("unknown analysis option '" + k + "' (options are: threads, seed, heads_of_interest, families, " +
                  "n_families, train)");
  }
  if (o.threads < 1) throw Error("threads must be at least 1 (got " + std::to_string(o.threads) + ")");
  return o;
}

PyResult run_analysis(const std::string& name, const ModelPtr& m, const Dataset& data, const Dataset* train,
                      const pyb::dict& kw) {
  const Analysis& a = find_analysis(name, "headcount.analyze");
  AnalysisOptions opt = analysis_options(kw);
  opt.train = train;
  const std::string why = a.not_applicable(m->model->config(), *m->task);
  if (!why.empty()) throw Error("analysis '" + name + "' " + why);
  if (data.examples.empty()) throw Error("analysis '" + name + "': the evaluation set is empty");
  AnalysisContext ctx(*m->model, *m->task, data, opt);
  if (a.missing_input) {
    const std::string missing = a.missing_input(ctx);
    if (!missing.empty()) throw Error("analysis '" + name + "' " + missing);
  }
  if (a.precheck) a.precheck(ctx);
  std::unique_ptr<AnalysisResult> r;
  {
    pyb::gil_scoped_release nogil;
    r = a.run(ctx);
  }
  return PyResult{name, std::shared_ptr<AnalysisResult>(std::move(r)), m->model->config()};
}

// Heads as flat indices -> a mask; each checked against the model.
uint64_t head_mask(const ModelConfig& c, const std::vector<int>& heads) {
  uint64_t mask = 0;
  const int n = c.n_layers * c.n_heads;
  for (int h : heads) {
    if (h < 0 || h >= n)
      throw Error("head " + std::to_string(h) + " is not a head of this model (flat indices layer * " +
                  std::to_string(c.n_heads) + " + head, 0.." + std::to_string(n - 1) + ")");
    mask |= uint64_t(1) << h;
  }
  return mask;
}

pyb::array_t<float> logits_array(std::vector<float> v, size_t N, int V) {
  pyb::array_t<float> a({pyb::ssize_t(N), pyb::ssize_t(V)});
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

}  // namespace

void init_analyses(pyb::module_& m) {
  pyb::class_<PyResult>(m, "AnalysisResult")
      .def_readonly("name", &PyResult::name)
      .def_property_readonly("summary", [](const PyResult& r) { return to_python(r.result->summary()); })
      .def_property_readonly("tables", [](const PyResult& r) { return tables_list(r.result->tables()); })
      .def_property_readonly("head_values", [](const PyResult& r) {
        pyb::list out;
        for (const auto& hv : r.result->head_values()) out.append(pyb::make_tuple(hv.head, hv.metric, hv.value));
        return out;
      })
      .def_property_readonly("run_values", [](const PyResult& r) { return to_python(r.result->run_values()); })
      .def_property_readonly("text", [](const PyResult& r) {
        std::ostringstream s;
        r.result->text(s, r.config);
        return s.str();
      });

  m.def("analyses", []() {
    pyb::list out;
    for (const auto& a : analyses()) {
      pyb::dict d;
      d["name"] = a.name;
      d["description"] = a.description;
      d["by_default"] = a.by_default;
      d["uses_train_set"] = a.uses_train_set;
      out.append(d);
    }
    return out;
  });
  m.def("applicable", [](const std::string& name, const ModelPtr& model) {
    return find_analysis(name, "headcount.analyze").not_applicable(model->model->config(), *model->task);
  });
  m.def("run_analysis", [](const std::string& name, const ModelPtr& model, const Dataset& data,
                           std::shared_ptr<Dataset> train, const pyb::dict& kw) {
    return run_analysis(name, model, data, train.get(), kw);
  }, pyb::arg("name"), pyb::arg("model"), pyb::arg("data"), pyb::arg("train") = nullptr,
     pyb::arg("options") = pyb::dict());

  // Logits [N,V] at each example's query position with heads' z set to zero
  // (ablation.hpp's zero ablation through the patch driver).
  m.def("zero_ablation_logits", [](const ModelPtr& model, const Dataset& data, const std::vector<int>& heads,
                                   int threads) {
    const uint64_t mask = head_mask(model->model->config(), heads);
    auto refs = std::make_shared<AblationRefs>();
    refs->mode = AblationMode::zero;
    std::vector<float> out;
    {
      pyb::gil_scoped_release nogil;
      out = patch_logits(*model->model, data, ablation_setter(*model->model, refs, {mask}), 0, threads);
    }
    return logits_array(std::move(out), data.examples.size(), model->model->config().d_vocab);
  }, pyb::arg("model"), pyb::arg("data"), pyb::arg("heads"), pyb::arg("threads") = 1);
  // Logits [N,V] with the attention edges of `heads` from the query to the
  // task's key target scaled by s (edge_scaling.hpp; mode "score" or "weight").
  m.def("edge_scaling_logits", [](const ModelPtr& model, const Dataset& data, const std::vector<int>& heads, double s,
                                  const std::string& mode, int threads) {
    const uint64_t mask = head_mask(model->model->config(), heads);
    if (mode != "score" && mode != "weight") throw Error("mode must be 'score' or 'weight' (got '" + mode + "')");
    const EdgeMode em = mode == "score" ? EdgeMode::score : EdgeMode::weight;
    std::vector<float> out;
    {
      pyb::gil_scoped_release nogil;
      out = patch_logits(*model->model, data,
                         edge_scaling_setter(*model->model, default_edge_target(*model->task), em, {{mask, s}}), 0,
                         threads);
    }
    return logits_array(std::move(out), data.examples.size(), model->model->config().d_vocab);
  }, pyb::arg("model"), pyb::arg("data"), pyb::arg("heads"), pyb::arg("s"), pyb::arg("mode") = "weight",
     pyb::arg("threads") = 1);

  m.def("reproduce", [](const std::string& out, bool full, int jobs, bool progress) {
    ReproduceOptions opt;
    opt.out = out;
    opt.full = full;
    opt.jobs = jobs;
    opt.progress = progress;
    opt.command = "headcount.reproduce(out=\"" + out + "\"" + (full ? ", full=True" : "") + ")";
    ReproduceResult r;
    {
      pyb::gil_scoped_release nogil;
      r = run_reproduce(opt, full ? ReproducePlan::full() : ReproducePlan::quick());
    }
    return pyb::make_tuple(to_python(r.summary), tables_list(r.tables), r.markdown);
  }, pyb::arg("out"), pyb::arg("full") = false, pyb::arg("jobs") = 1, pyb::arg("progress") = true);

  // spec: the JSON text of a sweep spec (SWEEPS.md); returns the results table.
  m.def("sweep", [](const std::string& spec_text, const std::string& source, const std::string& out, int jobs,
                    bool force, bool progress) {
    const SweepSpec spec = parse_spec(spec_text, source);
    SweepOptions opt;
    opt.out = out;
    opt.jobs = jobs;
    opt.force = force;
    opt.progress = progress;
    SweepResults r;
    {
      pyb::gil_scoped_release nogil;
      r = run_sweep(spec, opt);
    }
    return table_dict(results_table(r));
  }, pyb::arg("spec"), pyb::arg("source"), pyb::arg("out"), pyb::arg("jobs") = 1, pyb::arg("force") = false,
     pyb::arg("progress") = true);
  m.def("sweep_results", [](const std::string& dir) { return table_dict(results_table(read_results(dir))); });
}

}  // namespace hc::py
