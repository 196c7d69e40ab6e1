// CKA (centred kernel alignment, linear or RBF kernel; Kornblith et al. 2019) between the activations of
// hook points on the same examples: 1 for representations equal up to rotation and isotropic
// scale, near 0 for unrelated ones. A probe and an analysis (`phenom analyze`); under `phenom
// analyze` also between this checkpoint and others (checkpoints of this run or of another run,
// e.g. another seed) at the same hooks, on this run's examples, and among several runs (seeds).
#pragma once
#include <string>
#include <vector>

#include "models/position.h"
#include "spec/options.h"

namespace phenom {

// CKA's kernel: linear, or rbf.
enum class CkaKernel { kLinear, kRbf };
template <>
struct Words<CkaKernel> {
  static constexpr std::array names{"linear", "rbf"};
};

struct CkaOptions : ProbeOptions {
  std::vector<std::string> hooks;  // two or more hook points
  std::string set = "test";
  std::string position = "last";
  int64_t max_examples = 2048;
  CkaKernel kernel = CkaKernel::kLinear;
  double sigma = 0.4;
  std::string reference_run;
  int64_t reference_step = -1;
  std::vector<std::string> reference_steps;
  std::vector<std::string> reference_runs;
  void visit(Visitor& v) override {
    v.field("hooks", hooks, "two or more hook points compared pairwise, e.g. [layers.0.hook_post, layers.1.hook_post]");
    v.field("set", set, "the task's evaluation set whose examples both representations see");
    v.field("position", position, "for activations with a position axis: last, all, or a position index");
    v.field("max_examples", max_examples, "at most this many examples of the set (the first ones)", AtLeast(2));
    v.field("kernel", kernel, "linear, or rbf: exp(-|a - b|^2 / (2 sigma^2))");
    v.field("sigma", sigma, "kernel rbf: sigma as a fraction of the median distance between examples",
            Positive());
    v.field("reference_run", reference_run, "phenom analyze only: a run directory (this one, or another seed's) "
                                            "whose model at reference_step is compared hook by hook with this "
                                            "checkpoint's, on this run's examples: cka/<hook>/reference");
    v.field("reference_step", reference_step, "the reference run's checkpoint (for reference_runs too); -1: the "
                                              "step being analysed", AtLeast(-1));
    v.field("reference_steps", reference_steps, "phenom analyze only: checkpoints of reference_run (default this run) "
                                                "compared with this one, e.g. [0, 100, 200] or [all]: "
                                                "cka/<hook>/reference/<step>; with --steps all, the steps x steps matrix");
    v.field("reference_runs", reference_runs, "phenom analyze only: runs (this, or run directories: other seeds) whose "
                                              "models at reference_step are compared pairwise on this run's examples: "
                                              "cka/<hook>/runs/<i>/<j>, runs/mean (off the diagonal), the matrix");
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    const bool references = !reference_run.empty() || !reference_steps.empty() || !reference_runs.empty();
    if (hooks.size() < (references ? 1u : 2u)) {
      problems.push_back({"hooks", "found " + std::to_string(hooks.size()) + " hook(s); CKA compares two or more (or one "
                                   "with a reference_run). Fix: e.g. hooks: [layers.0.hook_post, layers.1.hook_post]."});
    }
    if (!valid_position(position)) {
      problems.push_back({"position", "found '" + position + "'; allowed: last, all, or a position index >= 0."});
    }
    for (const std::string& step : reference_steps) {
      if (step != "all" && (step.empty() || step.find_first_not_of("0123456789") != std::string::npos)) {
        problems.push_back({"reference_steps", "found '" + step + "'; allowed: step numbers, or [all] (every checkpoint "
                                               "of the reference run). Fix: e.g. reference_steps: [0, 100, 200]."});
      }
    }
    if (reference_runs.size() == 1) {
      problems.push_back({"reference_runs", "found one run; the matrix compares two or more. Fix: e.g. "
                                            "reference_runs: [this, runs/grokking-mlp/<hash8 of seed 1>]."});
    }
  }
};

}  // namespace phenom
