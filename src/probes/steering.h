// Steering vectors: the difference of the mean activations at a hook between the examples whose
// task attribute is `to` and those where it is `from`, added with scale alpha to the `from`
// examples; the behaviour shift against alpha is the fraction of them the model now answers as
// their `to` counterparts would be answered. A probe and an analysis (`phenom analyze` also keeps
// the vector and the curve).
#pragma once
#include <string>
#include <vector>

#include "models/position.h"
#include "spec/options.h"

namespace phenom {

struct SteeringOptions : ProbeOptions {
  std::string hook;
  std::string attribute = "label";
  int64_t from = 0, to = 1;
  std::vector<double> alphas = {0, 0.5, 1, 2, 4};
  std::string set = "test";
  std::string position = "all";
  int64_t max_examples = 4096;
  void visit(Visitor& v) override {
    v.field("hook", hook, "the hook point steered, e.g. layers.0.hook_post or blocks.0.hook_resid_post");
    v.field("attribute", attribute, "the task attribute (a class attribute: label; modular_arithmetic also a, b) whose "
                                    "values define the two groups");
    v.field("from", from, "the attribute value of the steered examples");
    v.field("to", to, "the attribute value the vector points to");
    v.field("alphas", alphas, "the scales of the vector added");
    v.field("set", set, "the task's evaluation set");
    v.field("position", position, "for activations with a position axis: all (each position its own mean "
                                  "difference), last, or a position index: where the vector is added");
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones)", AtLeast(2));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (hook.empty()) problems.push_back({"hook", "missing: the hook point to steer. Fix: e.g. hook: layers.0.hook_post."});
    if (from == to) problems.push_back({"to", "equals from (" + std::to_string(from) + "); the vector would be zero. Fix: two different values."});
    if (alphas.empty()) problems.push_back({"alphas", "empty. Fix: e.g. alphas: [0, 1, 2]."});
    if (!valid_position(position)) {
      problems.push_back({"position", "found '" + position + "'; allowed: all, last, or a position index >= 0."});
    }
  }
};

}  // namespace phenom
