// The quality of an SAE trained as a run (model `sae` on the `activations` task): how well and how
// sparsely it reconstructs the held-out rows, and how much of the source model's loss survives
// when its hook runs on the reconstruction. Under `phenom analyze` it also exports the SAE in
// SAELens' layout, with the task's activation scale folded back into the weights.
#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct DictionaryOptions : ProbeOptions {
  std::string set = "test";
  void visit(Visitor& v) override {
    v.field("set", set, "the activations task's set: test (held-out rows) or train", OneOf({"test", "train"}));
  }
  std::string needs_task() const override { return "activations"; }
};

}  // namespace phenom
