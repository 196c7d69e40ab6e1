// Optimizers and schedules: one line each.
#include "optim/optimizers.h"
#include "optim/schedules.h"
#include "spec/component.h"

namespace phenom {

std::unique_ptr<Optimizer> build_sgd(const OptimizerOptions&, BuildContext&);
std::unique_ptr<Optimizer> build_adam(const OptimizerOptions&, BuildContext&);
std::unique_ptr<Optimizer> build_sam(const OptimizerOptions&, BuildContext&);

const std::vector<OptimizerEntry>& optimizer_registry() {
  static const std::vector<OptimizerEntry> registry = {
      {"sgd", "stochastic gradient descent with momentum / Nesterov and L2 weight decay",
       make_options<OptimizerOptions, SgdOptions>, build_sgd},
      {"adam", "Adam with L2 weight decay added to the gradient", make_options<OptimizerOptions, AdamOptions>,
       build_adam},
      {"adamw", "Adam with decoupled weight decay (Loshchilov & Hutter)", make_options<OptimizerOptions, AdamWOptions>,
       build_adam},
      {"sam", "sharpness-aware minimisation (Foret et al.): the base optimizer's step with the gradient at w + rho "
              "g/|g|; ASAM, m-sharpness",
       make_options<OptimizerOptions, SamOptions>, build_sam},
  };
  return registry;
}

const std::vector<ScheduleEntry>& schedule_registry() {
  static const std::vector<ScheduleEntry> registry = {
      {"constant", "lr = optimizer.lr", make_options<ScheduleOptions, ConstantSchedule>, nullptr},
      {"linear_warmup", "lr rises linearly from 0 over warmup_steps, then stays", make_options<ScheduleOptions, LinearWarmupSchedule>, nullptr},
      {"cosine", "linear warm-up, then cosine decay to min_factor", make_options<ScheduleOptions, CosineSchedule>, nullptr},
      {"step", "lr multiplied by gamma every step_size steps", make_options<ScheduleOptions, StepSchedule>, nullptr},
  };
  return registry;
}

}  // namespace phenom
