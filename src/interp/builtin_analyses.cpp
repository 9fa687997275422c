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
}

}  // namespace hc
