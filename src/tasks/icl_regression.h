// In-context linear regression (Garg et al. 2022; Raventós et al. 2023): every prompt has its own
// task vector w, and the model reads (x_1, y_1, ..., x_n, y_n) and predicts each y_i from the
// pairs before it.
#pragma once
#include <cstdint>

#include "spec/options.h"

namespace phenom {

struct IclRegressionOptions : TaskOptions {
  int64_t dim = 5;
  int64_t n_points = 11;
  double noise = 0.0;
  CountOrFull task_pool{0, "inf"};
  int64_t eval_prompts = 1280;
  int64_t curriculum_every = 0;
  int64_t curriculum_dims_start = 0;
  int64_t curriculum_points_start = 0;
  int64_t curriculum_dims_step = 1;
  int64_t curriculum_points_step = 2;
  void visit(Visitor& v) override {
    v.field("dim", dim, "d: x ~ N(0, I_d), w ~ N(0, I_d), y = x . w + noise", AtLeast(1));
    v.field("n_points", n_points, "(x, y) pairs per prompt (Garg et al.: 2d + 1)", AtLeast(1));
    v.field("noise", noise, "sigma of the Gaussian noise on y (Raventós et al.: 0.5)", NonNegative());
    v.field("task_pool", task_pool,
            "`inf`: a fresh w for every prompt; M: a pool of M task vectors drawn once from the data seed, each "
            "prompt uses one uniformly at random (evaluated on `pretrain` pool tasks and on `fresh` ones)",
            AtLeast(1));
    v.field("eval_prompts", eval_prompts, "prompts in each fixed evaluation set (drawn once from the data seed)",
            AtLeast(1));
    v.field("curriculum_every", curriculum_every,
            "grow the training prompts every N steps (0: no curriculum; evaluation is always at the full size)",
            NonNegative());
    v.field("curriculum_dims_start", curriculum_dims_start,
            "curriculum: dimensions of x used at step 0 (the rest are zero; 0: all)", NonNegative());
    v.field("curriculum_points_start", curriculum_points_start,
            "curriculum: pairs per prompt at step 0 (0: all)", NonNegative());
    v.field("curriculum_dims_step", curriculum_dims_step, "curriculum: dimensions added every curriculum_every steps",
            AtLeast(1));
    v.field("curriculum_points_step", curriculum_points_step, "curriculum: pairs added every curriculum_every steps",
            AtLeast(1));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override;
  InputSpec inputs() const override;
  DataSize data_size() const override {  // streamed: only the fixed evaluation sets are held
    return {0, static_cast<double>(eval_prompts)};
  }
  std::vector<Loss> losses() const override { return {Loss::kMse}; }
  bool streamed() const override { return true; }
  // Bytes the evaluation sets and their baselines hold (float64), for the memory check.
  double eval_bytes() const;
  // The training prompt size at `step` under the curriculum (full size without one).
  int64_t dims_at(int64_t step) const;
  int64_t points_at(int64_t step) const;
};

}  // namespace phenom
