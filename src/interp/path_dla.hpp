#pragma once
// Path-level direct logit attribution for two-layer attention-only models
// ("A Mathematical Framework", the path expansion): with layer 1's attention
// patterns A_h fixed at their values in the run, the residual at the query
// position p is a sum over paths, and so is its dot product with a logit
// direction u (the answer's unembedding column, or the difference of two):
//
//   direct      (embed + pos)(p) . u
//   L0 head s   r_s(p) . u                                   (its direct path)
//   L1 head h   sum_j A_h(p,j) (embed + pos)(j) W_V^h W_O^h . u   (via the embedding)
//   virtual s->h  sum_j A_h(p,j) r_s(j) W_V^h W_O^h . u           (through h's V)
//   residual    every bias term: b_O of both layers, b_V and b_O0 read by
//               layer-1 values, b_U
//
// The parts add up to the logit (or logit difference) of the run. The run is
// the model's forward in double precision (its float weights, widened), so
// the sum is exact to ~1e-12; the float forward's logits differ from it by
// float rounding (about 1e-7 relative).
#include <string>
#include <vector>

#include "model/model.hpp"
#include "tasks/task.hpp"

namespace hc {

struct PathDla {
  int H = 0;
  // Per example [N]: the target and the parts.
  std::vector<double> total;      // logit[a] (or logit[a] - logit[b]) from the double forward pass
  std::vector<double> direct;     // [N]
  std::vector<double> head0;      // [N, H] L0 heads' direct paths
  std::vector<double> head1;      // [N, H] L1 heads via the embedding
  std::vector<double> virtual_v;  // [N, H sender, H receiver]
  std::vector<double> residual;   // [N]
  std::vector<int> answer, against;  // [N]; against -1 for the plain logit
  double sum_of_parts(size_t i) const;
};

// against: per example the token whose logit is subtracted (e.g. the
// runner-up), or empty for the plain answer logit. Throws hc::Error unless
// the model has exactly 2 layers.
PathDla path_dla(const Model<float>& model, const Dataset& data, const std::vector<int>& against, int threads);

// The largest logit other than the answer's in the unpatched run, per example.
std::vector<int> runner_up(const Model<float>& model, const Dataset& data, int threads);

}  // namespace hc
