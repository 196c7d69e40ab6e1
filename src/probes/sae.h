// Sparse autoencoders on a hook's activations (the SAELens workflow, on a phenom run): fit a
// dictionary to the activations of a task's evaluation set, report how well and how sparsely it
// reconstructs them, and how much of the task's loss survives when the model runs on the
// reconstruction instead (the spliced loss, against zero ablation). A probe and an analysis
// (`phenom analyze` also saves each SAE in SAELens' layout: cfg.json + sae_weights.safetensors).
#pragma once
#include <string>

#include "models/position.h"
#include "spec/options.h"

namespace phenom {

struct SaeOptions : ProbeOptions {
  std::string hook;
  std::string set = "train";
  std::string position = "all";
  int64_t max_examples = 0;
  int64_t expansion = 4;
  int64_t d_sae = 0;
  int64_t k = 0;
  double l1 = 1.0;
  int64_t steps = 2000;
  int64_t batch = 512;
  double lr = 3e-3;
  void visit(Visitor& v) override {
    v.field("hook", hook, "the hook point whose activations are encoded, e.g. layers.0.hook_post, "
                          "blocks.0.hook_resid_post or blocks.0.attn.hook_z (its heads concatenated)");
    v.field("set", set, "the task's evaluation set the SAE is fitted and evaluated on");
    v.field("position", position, "for activations with a position axis: all (every position a row), last, "
                                  "or a position index; the splice replaces those positions");
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones); 0: all",
            NonNegative());
    v.field("expansion", expansion, "dictionary size as a multiple of the activation width", AtLeast(1));
    v.field("d_sae", d_sae, "dictionary size; 0: expansion x the activation width", NonNegative());
    v.field("k", k, "TopK (Gao et al. 2024): only each row's k largest pre-activations pass the relu, and the loss "
                    "is the reconstruction alone (l1 is not used); 0: ReLU with the l1 penalty",
            NonNegative());
    v.field("l1", l1, "sparsity coefficient on the decoder-norm weighted L1 of the features, with activations "
                      "scaled to mean squared norm d_in (so it means the same at every hook)",
            NonNegative());
    v.field("steps", steps, "Adam steps", AtLeast(1));
    v.field("batch", batch, "rows per step (drawn with replacement from the activations)", AtLeast(1));
    v.field("lr", lr, "Adam learning rate", Positive());
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (hook.empty()) problems.push_back({"hook", "missing: the hook point to encode. Fix: e.g. hook: layers.0.hook_post."});
    if (!valid_position(position)) {
      problems.push_back({"position", "found '" + position + "'; allowed: all, last, or a position index >= 0."});
    }
  }
};

}  // namespace phenom
