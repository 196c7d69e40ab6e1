// Linear probes (Alain & Bengio 2016; control tasks: Hewitt & Liang 2019): how well a linear map of
// a hook's activations predicts a named attribute of each example (the task's `attributes`: e.g.
// modular arithmetic's a, b and label), on held-out examples, against the same probe fitted to
// shuffled values. A probe and an analysis (`phenom analyze`, which also keeps the weights).
#pragma once
#include <string>

#include "models/position.h"
#include "spec/options.h"

namespace phenom {

struct LinearProbeOptions : ProbeOptions {
  std::string hook, attribute;
  std::string set = "test";
  std::string position = "last";
  int64_t max_examples = 4096;
  double held_out = 0.3;
  double ridge = 1e-3;
  void visit(Visitor& v) override {
    v.field("hook", hook, "the hook point whose activations are probed, e.g. layers.0.hook_post");
    v.field("attribute", attribute, "the task's per-example attribute predicted (a wrong one lists the task's), "
                                    "e.g. a, b or label for modular arithmetic");
    v.field("set", set, "the task's evaluation set whose examples are split into fit and held-out parts");
    v.field("position", position, "for activations with a position axis: last, all, or a position index");
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones)", AtLeast(4));
    v.field("held_out", held_out, "fraction of the examples held out of the fit (a fixed random split)",
            OpenInterval(0, 1));
    v.field("ridge", ridge, "ridge penalty, relative to the activations' mean variance", NonNegative());
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (hook.empty()) problems.push_back({"hook", "missing: the hook point to probe. Fix: e.g. hook: layers.0.hook_post."});
    if (attribute.empty()) problems.push_back({"attribute", "missing: the attribute to predict. Fix: e.g. attribute: a."});
    if (!valid_position(position)) {
      problems.push_back({"position", "found '" + position + "'; allowed: last, all, or a position index >= 0."});
    }
  }
};

}  // namespace phenom
