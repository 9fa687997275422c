#include "train/adamw.hpp"

#include <cmath>

#include "core/error.hpp"

namespace hc {

void AdamW::step(float* p, const float* g, double lr) {
  ++t_;
  const float b1 = float(cfg_.beta1), b2 = float(cfg_.beta2);
  const float bc1 = float(1.0 - std::pow(cfg_.beta1, double(t_)));
  const float bc2_sqrt = float(std::sqrt(1.0 - std::pow(cfg_.beta2, double(t_))));
  const float step_size = float(lr) / bc1;
  const float decay = float(1.0 - lr * cfg_.weight_decay);
  const float eps = float(cfg_.eps);
  const size_t n = m_.size();
  for (size_t i = 0; i < n; ++i) {
    p[i] *= decay;
    m_[i] = b1 * m_[i] + (1 - b1) * g[i];
    v_[i] = b2 * v_[i] + (1 - b2) * g[i] * g[i];
    p[i] -= step_size * m_[i] / (std::sqrt(v_[i]) / bc2_sqrt + eps);
  }
}

Schedule parse_schedule(const std::string& s) {
  if (s == "constant") return Schedule::Constant;
  if (s == "cosine") return Schedule::Cosine;
  throw Error("unknown schedule '" + s + "' (use constant or cosine)");
}

std::string schedule_name(Schedule s) { return s == Schedule::Constant ? "constant" : "cosine"; }

double learning_rate(Schedule s, double base_lr, int64_t step, int64_t total, int64_t warmup) {
  if (warmup > 0 && step < warmup) return base_lr * double(step + 1) / double(warmup);
  if (s == Schedule::Constant) return base_lr;
  const double span = double(std::max<int64_t>(1, total - warmup));
  const double progress = double(step - warmup) / span;
  return base_lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace hc
