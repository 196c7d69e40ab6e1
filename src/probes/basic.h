// The probes every run can use (torch-free options).
#pragma once
#include "spec/options.h"

namespace phenom {

// Which evaluation sets loss_accuracy scores.
enum class ScoredSplits { kBoth, kTrain, kTest };
template <>
struct Words<ScoredSplits> {
  static constexpr std::array names{"both", "train", "test"};
};

struct LossAccuracyOptions : ProbeOptions {
  int64_t eval_batch_size = 0;
  ScoredSplits split = ScoredSplits::kBoth;
  void visit(Visitor& v) override {
    v.field("eval_batch_size", eval_batch_size, "examples per evaluation forward pass (0: the whole split at once)",
            NonNegative());
    v.field("split", split,
            "which split to score: both, train or test (two loss_accuracy probes give the splits their own cadences, "
            "e.g. train/acc every 10 steps for a stop condition and test only at the end)");
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

// grad_norm reads the gradient of the last training step: there is none on a saved checkpoint.
struct GradNormOptions : EmptyProbeOptions {
  std::string training_only() const override { return "it reads the gradient of the last training step"; }
};

}  // namespace phenom
