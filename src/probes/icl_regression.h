// The icl_regression probe: an in-context regression model's error at each context length and its
// distance to each closed-form baseline (probes/icl_baselines.h), on the task's evaluation sets.
#pragma once
#include "spec/options.h"

namespace phenom {

struct IclRegressionProbeOptions : ProbeOptions {
  int64_t neighbours = 3;
  int64_t reference_pool = 0;
  void visit(Visitor& v) override {
    v.field("neighbours", neighbours, "k of the k-nearest-neighbours baseline (Garg et al.: 3)", AtLeast(1));
    v.field("reference_pool", reference_pool,
            "also compare with dmmse_ref, the Bayes predictor of a fixed pool of this many tasks w ~ N(0, I) drawn "
            "from the seed (Raventos et al.'s check that a model trained on fresh tasks is nearer ridge than the "
            "dMMSE of a 4-task pool; 0: off)",
            NonNegative());
  }
  std::string needs_task() const override { return "icl_regression"; }
};

}  // namespace phenom
