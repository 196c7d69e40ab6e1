// The probes every run can use (torch-free options).
#pragma once
#include "spec/options.h"

namespace phenom {

struct LossAccuracyOptions : ProbeOptions {
  int64_t eval_batch_size = 0;
  void visit(Visitor& v) override {
    v.field("eval_batch_size", eval_batch_size, "examples per evaluation forward pass (0: the whole split at once)",
            NonNegative());
  }
};

struct WeightNormOptions : ProbeOptions {
  bool per_tensor = true;
  void visit(Visitor& v) override {
    v.field("per_tensor", per_tensor, "also log weight_norm/<parameter> for every parameter tensor");
  }
};

struct EmptyProbeOptions : ProbeOptions {
  void visit(Visitor&) override {}
};

}  // namespace phenom
