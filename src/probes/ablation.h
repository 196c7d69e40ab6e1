// Ablations: how much the task's loss and accuracy change when a hook point's activation is
// replaced by zeros or by its mean over the evaluation set (whole, or one unit at a time). A probe
// and an analysis (`phenom analyze`, which also keeps the per-unit table).
#pragma once
#include <string>
#include <vector>

#include "spec/options.h"

namespace phenom {

struct AblationOptions : ProbeOptions {
  std::vector<std::string> hooks;
  std::string mode = "mean";
  std::string set = "test";
  bool per_unit = false;
  int64_t max_examples = 4096;
  void visit(Visitor& v) override {
    v.field("hooks", hooks, "the hook points ablated, each on its own, e.g. [layers.0.hook_post]");
    v.field("mode", mode, "mean: the activation's mean over the set's examples (mean-ablation); zero: zeros",
            OneOf({"mean", "zero"}));
    v.field("set", set, "the task's evaluation set scored");
    v.field("per_unit", per_unit, "also ablate each unit (the last dimension: neurons, d_model) on its own");
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones)", AtLeast(1));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (hooks.empty()) problems.push_back({"hooks", "missing: the hook points to ablate. Fix: e.g. hooks: [layers.0.hook_post]."});
  }
};

}  // namespace phenom
