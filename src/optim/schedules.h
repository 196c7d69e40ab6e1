// Learning-rate schedules as pure functions of the step (no state; trivially resumable/testable).
#pragma once
#include "spec/options.h"

namespace phenom {

struct ConstantSchedule : ScheduleOptions {
  void visit(Visitor&) override {}
  double factor(int64_t, int64_t) const override { return 1.0; }
};

// factor = min(step / warmup_steps, 1): the lr of step 0 is 0 (as LambdaLR(min(step/W, 1)) in
// Nanda et al.'s code).
struct LinearWarmupSchedule : ScheduleOptions {
  int64_t warmup_steps = 10;
  void visit(Visitor& v) override { v.field("warmup_steps", warmup_steps, "steps of linear warm-up from 0", AtLeast(1)); }
  double factor(int64_t step, int64_t) const override;
};

// Linear warm-up, then half a cosine from 1 down to min_factor at total_steps.
struct CosineSchedule : ScheduleOptions {
  int64_t warmup_steps = 0;
  double min_factor = 0.0;
  int64_t total_steps = 0;
  void visit(Visitor& v) override {
    v.field("warmup_steps", warmup_steps, "steps of linear warm-up from 0 (0: none)", NonNegative());
    v.field("min_factor", min_factor, "final lr as a fraction of optimizer.lr", Check{0.0, 1.0});
    v.field("total_steps", total_steps, "length of the decay (0: train.steps)", NonNegative());
  }
  double factor(int64_t step, int64_t total) const override;
};

// Multiply by gamma every step_size steps.
struct StepSchedule : ScheduleOptions {
  int64_t step_size = 1000;
  double gamma = 0.1;
  void visit(Visitor& v) override {
    v.field("step_size", step_size, "steps between decays", AtLeast(1));
    v.field("gamma", gamma, "multiplier at each decay", Positive());
  }
  double factor(int64_t step, int64_t) const override;
};

}  // namespace phenom
