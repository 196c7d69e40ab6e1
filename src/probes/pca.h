// PCA of the activations at a hook point over an evaluation set: how many directions the
// representation uses. One implementation serves as a probe (metrics at a cadence) and as an
// analysis of saved checkpoints (`phenom analyze`, which also keeps the components and the
// coordinates of every example).
#pragma once
#include "models/position.h"
#include "spec/options.h"

namespace phenom {

struct PcaOptions : ProbeOptions {
  std::string hook;          // required: a hook point of the model (TransformerLens name)
  std::string set = "test";  // the task's evaluation set
  std::string position = "last";  // sequence activations [B, T, D]: last, all (every position an example), or an index
  int64_t components = 10;
  int64_t max_examples = 4096;  // the first N examples of the set
  void visit(Visitor& v) override {
    v.field("hook", hook, "the hook point whose activations are analysed, e.g. layers.0.hook_post or "
                          "blocks.0.hook_resid_post (the model's hooks are listed when one is wrong)");
    v.field("set", set, "the task's evaluation set (train, test; pretrain, fresh for a finite ICL pool)");
    v.field("position", position, "for activations with a position axis: last, all, or a position index");
    v.field("components", components, "principal components kept", AtLeast(1));
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones)", AtLeast(2));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (hook.empty()) problems.push_back({"hook", "missing: the hook point to analyse. Fix: e.g. hook: layers.0.hook_post."});
    if (!valid_position(position)) {
      problems.push_back({"position", "found '" + position + "'; allowed: last, all, or a position index >= 0."});
    }
  }
};

}  // namespace phenom
