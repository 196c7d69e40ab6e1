// task_diversity (Raventós et al. 2023): along the task-pool size M, whether a pretrained in-context
// regressor moves from the pool's Bayes predictor (dMMSE) to ridge on fresh tasks.
#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct TaskDiversityOptions : OptionsBase {
  std::string x = "task.task_pool";
  std::string set = "fresh";
  int64_t max_sign_changes = 1;
  double tie_fraction = 0.05;
  double max_error_spearman = 1.0;
  double max_error_over_ridge = 0.0;
  void visit(Visitor& v) override {
    v.field("x", x, "the swept task-pool size (values M or inf)");
    v.field("set", set, "the evaluation set whose distances decide (fresh: new tasks; pretrain: the pool's)");
    v.field("max_sign_changes", max_sign_changes,
            "how often the sign of dist(ridge) - dist(dmmse) may change along M and still count as one crossing "
            "(1: a single clean crossing)", AtLeast(1));
    v.field("tie_fraction", tie_fraction,
            "distances within this fraction of the larger count as a tie (at large M dMMSE and ridge predict almost "
            "alike, so neither is nearer); ties are skipped when counting sign changes", HalfOpen(0, 1));
    v.field("max_error_spearman", max_error_spearman,
            "the model's error on fresh tasks at k = K must fall with M: Spearman's rho over all runs (inf the "
            "largest M) at most this (Raventós et al.'s check: -0.7; 1: not required)", Between(-1, 1));
    v.field("max_error_over_ridge", max_error_over_ridge,
            "at M = inf, the model's fresh-task error at k = K over ridge's at most this (0: reported, not required)",
            NonNegative());
  }
};

}  // namespace phenom
