// The built-in analyses, one registration line each, in the order `analyze`
// runs them and lists them in summary.json's "analyses". Each definition lives
// beside its text block in interp/builtin/.
#include "interp/analysis.hpp"

namespace hc {

Analysis ablation_analysis();
Analysis edge_scaling_analysis();
Analysis attention_analysis();
Analysis value_norms_analysis();
Analysis invariance_analysis();
Analysis dla_analysis();
Analysis circuits_analysis();
Analysis head_metrics_analysis();
Analysis w01_intervention_analysis();
Analysis logit_dynamics_analysis();
Analysis composition_analysis();      // builtin/multilayer.cpp (issue 15)
Analysis logit_lens_analysis();
Analysis path_dla_analysis();
Analysis subset_ablation_analysis();
Analysis act_patching_analysis();     // builtin/multilayer_patching.cpp
Analysis path_patching_analysis();

void register_builtin(Analysis analysis);  // interp/analysis.cpp

namespace {

Analysis at(Analysis a, int text_order) {
  a.text_order = text_order;
  return a;
}

}  // namespace

void register_builtin_analyses() {
  register_builtin(at(ablation_analysis(), 10));
  register_builtin(at(edge_scaling_analysis(), 20));
  register_builtin(at(attention_analysis(), 30));
  register_builtin(at(value_norms_analysis(), 60));
  register_builtin(at(invariance_analysis(), 50));
  register_builtin(at(dla_analysis(), 40));
  register_builtin(at(circuits_analysis(), 70));
  register_builtin(at(head_metrics_analysis(), 80));
  register_builtin(at(w01_intervention_analysis(), 90));
  register_builtin(at(logit_dynamics_analysis(), 100));
  register_builtin(at(subset_ablation_analysis(), 110));  // multi-layer (issue 15)
  register_builtin(at(logit_lens_analysis(), 120));
  register_builtin(at(path_dla_analysis(), 130));
  register_builtin(at(composition_analysis(), 140));
  register_builtin(at(act_patching_analysis(), 150));
  register_builtin(at(path_patching_analysis(), 160));
}

}  // namespace hc
