// Activation patching (denoising, as TransformerLens' patching utilities): run the task's
// corrupted inputs with one hook's activation (at one position, of one head) taken from the clean
// run, and report the fraction of the clean-minus-corrupted metric that comes back. A probe and an
// analysis (`phenom analyze` also keeps the per-position and per-head tables for the heatmaps).
#pragma once
#include <string>
#include <vector>

#include "spec/options.h"

namespace phenom {

// What patching measures: the clean-minus-corrupted answer logit, or the task's loss.
enum class PatchingMetric { kLogitDiff, kLoss };
template <>
struct Words<PatchingMetric> {
  static constexpr std::array names{"logit_diff", "loss"};
};

struct PatchingOptions : ProbeOptions {
  std::vector<std::string> hooks;
  std::string contrast;  // "": the task's first
  std::string set = "test";
  PatchingMetric metric = PatchingMetric::kLogitDiff;
  bool per_position = true;
  bool per_head = true;
  int64_t max_examples = 512;
  void visit(Visitor& v) override {
    v.field("hooks", hooks, "the hook points patched, each on its own, e.g. [blocks.0.hook_resid_pre, "
                            "blocks.0.attn.hook_z] (the model's hooks are listed when one is wrong)");
    v.field("contrast", contrast, "the task's clean/corrupted pairs by the fact they change (modular_arithmetic: a, "
                                  "b); empty: the task's first");
    v.field("set", set, "the task's evaluation set whose examples are the clean inputs");
    v.field("metric", metric, "logit_diff: clean-answer logit minus corrupted-answer logit (class tasks); loss: the "
                              "task's loss against the clean targets");
    v.field("per_position", per_position, "also patch each position of activations with a position axis");
    v.field("per_head", per_head, "also patch each head of attention hooks (hook_q/k/v/z, hook_pattern, "
                                  "hook_attn_scores), and each (position, head)");
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones)", AtLeast(1));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (hooks.empty()) problems.push_back({"hooks", "missing: the hook points to patch. Fix: e.g. hooks: [blocks.0.hook_resid_pre]."});
  }
};

}  // namespace phenom
