#include "optim/schedules.h"

#include <algorithm>
#include <cmath>

namespace phenom {

double LinearWarmupSchedule::factor(int64_t step, int64_t) const {
  return std::min(1.0, static_cast<double>(step) / static_cast<double>(warmup_steps));
}

double CosineSchedule::factor(int64_t step, int64_t total) const {
  if (warmup_steps > 0 && step < warmup_steps) return static_cast<double>(step) / static_cast<double>(warmup_steps);
  const int64_t end = total_steps > 0 ? total_steps : total;
  if (step >= end) return min_factor;
  const double progress = static_cast<double>(step - warmup_steps) / static_cast<double>(std::max<int64_t>(1, end - warmup_steps));
  return min_factor + (1.0 - min_factor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

double StepSchedule::factor(int64_t step, int64_t) const {
  return std::pow(gamma, static_cast<double>(step / step_size));
}

}  // namespace phenom
