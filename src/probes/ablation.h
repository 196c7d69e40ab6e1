// Ablations: how much the task's loss and accuracy change when a hook point's activation is
// replaced by zeros, its mean over the evaluation set or another example's (whole, one unit or one
// head at a time), or when the span of a set of directions is projected out of it (against as
// many random directions). A probe and an analysis (`phenom analyze` also keeps the tables).
#pragma once
#include <string>
#include <vector>

#include "spec/options.h"

namespace phenom {

// What replaces the ablated activation.
enum class AblationMode { kMean, kZero, kResample, kProject };
template <>
struct Words<AblationMode> {
  static constexpr std::array names{"mean", "zero", "resample", "project"};
};

struct AblationOptions : ProbeOptions {
  std::vector<std::string> hooks;
  AblationMode mode = AblationMode::kMean;
  std::string set = "test";
  bool per_unit = false;
  bool per_head = false;
  int64_t max_examples = 4096;
  std::string directions, key;  // mode project: a safetensors file and its [K, D] tensor
  int64_t count = 0;
  void visit(Visitor& v) override {
    v.field("hooks", hooks, "the hook points ablated, each on its own, e.g. [layers.0.hook_post]");
    v.field("mode", mode, "mean: the activation's mean over the set's examples (mean-ablation); zero: zeros; "
                          "resample: another example's activation (a fixed random derangement of the set); "
                          "project: the span of `directions` projected out of the last dimension");
    v.field("set", set, "the task's evaluation set scored");
    v.field("per_unit", per_unit, "also ablate each unit (the last dimension: neurons, d_model) on its own");
    v.field("per_head", per_head, "also ablate each head of attention hooks (hook_z, hook_q/k/v, hook_pattern) on its own");
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones)", AtLeast(1));
    v.field("directions", directions, "mode project: a safetensors file holding the directions (e.g. a pca "
                                      "analysis' tensors file, or weights)");
    v.field("key", key, "mode project: the tensor of that file, [K, D] with D the hook's last dimension "
                        "(e.g. pca/layers.0.hook_post/components)");
    v.field("count", count, "mode project: its first rows only (0: all)", AtLeast(0));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (hooks.empty()) problems.push_back({"hooks", "missing: the hook points to ablate. Fix: e.g. hooks: [layers.0.hook_post]."});
    if (mode == AblationMode::kProject && (directions.empty() || key.empty())) {
      problems.push_back({directions.empty() ? "directions" : "key",
                          "missing: mode project needs `directions` (a safetensors file) and `key` (its [K, D] "
                          "tensor). Fix: e.g. directions: tensors/step_100.0.pca.safetensors, key: "
                          "pca/layers.0.hook_post/components."});
    }
    if (mode == AblationMode::kProject && (per_unit || per_head)) {
      problems.push_back({per_unit ? "per_unit" : "per_head", "is for modes mean, zero and resample. Fix: remove it."});
    }
  }
};

}  // namespace phenom
