#pragma once
// AdamW with decoupled weight decay, exactly as torch.optim.AdamW: one loop
// over the flat parameter buffer.
#include <cstdint>
#include <string>
#include <vector>

namespace hc {

struct AdamWConfig {
  double lr = 1e-3;
  double weight_decay = 0.01;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

class AdamW {
 public:
  AdamW(const AdamWConfig& cfg, size_t n) : cfg_(cfg), m_(n, 0.f), v_(n, 0.f) {}
  // One update at learning rate `lr` (the schedule's value for this step).
  void step(float* params, const float* grad, double lr);
  int64_t steps_taken() const { return t_; }
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  void set_steps_taken(int64_t t) { t_ = t; }

 private:
  AdamWConfig cfg_;
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

enum class Schedule { Constant, Cosine };
Schedule parse_schedule(const std::string& s);  // "constant" | "cosine"
std::string schedule_name(Schedule s);

// Learning rate at `step` (0-based) of `total`: linear warmup over `warmup`
// steps, then constant or cosine decay to zero at the end.
double learning_rate(Schedule s, double base_lr, int64_t step, int64_t total, int64_t warmup);

}  // namespace hc
