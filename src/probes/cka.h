// CKA (centred kernel alignment, linear or RBF kernel; Kornblith et al. 2019) between the activations of
// hook points on the same examples: 1 for representations equal up to rotation and isotropic
// scale, near 0 for unrelated ones. A probe and an analysis (`phenom analyze`); under `phenom
// analyze` also between this checkpoint and another (of this run or of another run, e.g. another
// seed) at the same hooks, on this run's examples.
#pragma once
#include <string>
#include <vector>

#include "probes/position.h"
#include "spec/options.h"

namespace phenom {

struct CkaOptions : ProbeOptions {
  std::vector<std::string> hooks;  // two or more hook points
  std::string set = "test";
  std::string position = "last";
  int64_t max_examples = 2048;
  std::string kernel = "linear";
  double sigma = 0.4;
  std::string reference_run;
  int64_t reference_step = -1;
  void visit(Visitor& v) override {
    v.field("hooks", hooks, "two or more hook points compared pairwise, e.g. [layers.0.hook_post, layers.1.hook_post]");
    v.field("set", set, "the task's evaluation set whose examples both representations see");
    v.field("position", position, "for activations with a position axis: last, all, or a position index");
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones)", AtLeast(2));
    v.field("kernel", kernel, "linear, or rbf: exp(-|a - b|^2 / (2 sigma^2))", OneOf({"linear", "rbf"}));
    v.field("sigma", sigma, "kernel rbf: sigma as a fraction of the median distance between examples",
            Positive());
    v.field("reference_run", reference_run, "phenom analyze only: a run directory (this one, or another seed's) "
                                            "whose model at reference_step is compared hook by hook with this "
                                            "checkpoint's, on this run's examples: cka/<hook>/reference");
    v.field("reference_step", reference_step, "the reference run's checkpoint; -1: the step being analysed",
            AtLeast(-1));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (hooks.size() < (reference_run.empty() ? 2u : 1u)) {
      problems.push_back({"hooks", "found " + std::to_string(hooks.size()) + " hook(s); CKA compares two or more (or one "
                                   "with a reference_run). Fix: e.g. hooks: [layers.0.hook_post, layers.1.hook_post]."});
    }
    if (!valid_position(position)) {
      problems.push_back({"position", "found '" + position + "'; allowed: last, all, or a position index >= 0."});
    }
  }
};

}  // namespace phenom
