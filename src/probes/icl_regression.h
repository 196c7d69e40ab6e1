// The icl_regression probe: an in-context regression model's error at each context length and its
// distance to each closed-form baseline (probes/icl_baselines.h), on the task's evaluation sets.
#pragma once
#include "spec/options.h"

namespace phenom {

struct IclRegressionProbeOptions : ProbeOptions {
  int64_t neighbours = 3;
  void visit(Visitor& v) override {
    v.field("neighbours", neighbours, "k of the k-nearest-neighbours baseline (Garg et al.: 3)", AtLeast(1));
  }
  std::string needs_task() const override { return "icl_regression"; }
};

}  // namespace phenom
