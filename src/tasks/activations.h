// The `activations` task: rows of a saved run's activations at one hook point, as features to
// reconstruct (targets = inputs). An SAE is then an ordinary run (model `sae`) with the loop,
// checkpoints, resume and metrics of any other. The rows are a pure function of the source run's
// checkpoint, so a resumed run reads the same ones.
#pragma once
#include <optional>
#include <string>

#include "models/position.h"
#include "spec/options.h"

namespace phenom {

struct ActivationsOptions : TaskOptions {
  std::string run, step = "last", hook, set = "train", test_set = "test", position = "all";
  int64_t max_examples = 0;
  bool normalize = true;
  void visit(Visitor& v) override {
    v.field("run", run, "the run directory whose model is read (runs/<name>/<hash8>); relative to the current "
                        "directory");
    v.field("step", step, "its checkpoint: last (the run must have finished) or a step that has a checkpoint");
    v.field("hook", hook, "the hook point whose activations are the rows, e.g. layers.0.hook_post or "
                          "blocks.0.hook_resid_post (hook_z: its heads concatenated)");
    v.field("set", set, "the source task's evaluation set whose activations are the training rows");
    v.field("test_set", test_set, "the source set whose activations are the held-out rows (set test)");
    v.field("position", position, "sequence activations: all (every position a row), last, or a position index");
    v.field("max_examples", max_examples, "at most this many examples of each source set (the first ones); 0: all",
            NonNegative());
    v.field("normalize", normalize, "scale every row by one factor so that the training rows have mean squared "
                                    "norm d_in (then l1 means the same at every hook); exports fold it back in");
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (run.empty()) problems.push_back({"run", "missing: the run to read. Fix: e.g. run: runs/grokking-mlp/1a2b3c4d."});
    if (hook.empty()) problems.push_back({"hook", "missing: the hook point. Fix: e.g. hook: layers.0.hook_post."});
    if (step != "last" && (step.empty() || step.find_first_not_of("0123456789") != std::string::npos)) {
      problems.push_back({"step", "found '" + step + "'; allowed: last, or a step number that has a checkpoint."});
    }
    if (!valid_position(position)) {
      problems.push_back({"position", "found '" + position + "'; allowed: all, last, or a position index >= 0."});
    }
  }
  // Features [d_in] with d_in real targets; d_in is read from the source model (one forward pass
  // on a zero input), once.
  InputSpec inputs() const override;
  std::vector<Loss> losses() const override { return {Loss::kMse}; }

 private:
  mutable std::optional<InputSpec> inputs_;
};

}  // namespace phenom
