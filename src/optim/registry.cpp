// Optimizers and schedules: one line each.
#include "optim/optimizers.h"
#include "optim/schedules.h"
#include "spec/component.h"

namespace phenom {

std::unique_ptr<Optimizer> build_sgd(const OptionsBase&, BuildContext&);
std::unique_ptr<Optimizer> build_adam(const OptionsBase&, BuildContext&);

template <class Base, class O>
std::unique_ptr<Base> make() { return std::make_unique<O>(); }

const std::vector<OptimizerEntry>& optimizer_registry() {
  static const std::vector<OptimizerEntry> registry = {
      {"sgd", "stochastic gradient descent with momentum / Nesterov and L2 weight decay", make<OptionsBase, SgdOptions>, build_sgd},
      {"adam", "Adam with L2 weight decay added to the gradient", make<OptionsBase, AdamOptions>, build_adam},
      {"adamw", "Adam with decoupled weight decay (Loshchilov & Hutter)", make<OptionsBase, AdamWOptions>, build_adam},
  };
  return registry;
}

const std::vector<ScheduleEntry>& schedule_registry() {
  static const std::vector<ScheduleEntry> registry = {
      {"constant", "lr = optimizer.lr", make<ScheduleOptions, ConstantSchedule>, nullptr},
      {"linear_warmup", "lr rises linearly from 0 over warmup_steps, then stays", make<ScheduleOptions, LinearWarmupSchedule>, nullptr},
      {"cosine", "linear warm-up, then cosine decay to min_factor", make<ScheduleOptions, CosineSchedule>, nullptr},
      {"step", "lr multiplied by gamma every step_size steps", make<ScheduleOptions, StepSchedule>, nullptr},
  };
  return registry;
}

}  // namespace phenom
