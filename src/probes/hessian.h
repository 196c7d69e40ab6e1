// The Hessian of the training objective at a step: its top eigenvalues (sharpness, the quantity
// the edge of stability is about) by Lanczos, and its trace by Hutchinson's estimator, on a fixed
// set of examples so that successive measurements see the same loss (torch-free options).
#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct HessianOptions : ProbeOptions {
  int64_t top_k = 1;
  int64_t iterations = 40;
  double tolerance = 1e-3;
  int64_t trace_samples = 0;
  std::string set = "train";
  int64_t examples = 0;
  void visit(Visitor& v) override {
    v.field("top_k", top_k, "eigenvalues reported, largest first (hessian/lambda_1 = lambda_max, ...)", AtLeast(1));
    v.field("iterations", iterations, "Lanczos steps at most (one Hessian-vector product each)", AtLeast(1));
    v.field("tolerance", tolerance, "stop when every residual ||Hu - lambda u|| <= tolerance * |lambda|",
            OpenInterval(0, 1));
    v.field("trace_samples", trace_samples, "Rademacher vectors for the Hutchinson trace (0: no trace)", NonNegative());
    v.field("set", set, "the fixed evaluation set whose loss is differentiated (train: the training split)");
    v.field("examples", examples, "the first N examples of the set only, in its fixed order (0: all of it)",
            NonNegative());
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (top_k > iterations) {
      problems.push_back({"top_k", "top_k " + std::to_string(top_k) + " exceeds iterations " + std::to_string(iterations) +
                                       ": Lanczos finds at most as many eigenvalues as it takes steps. Fix: raise "
                                       "iterations, e.g. iterations: " + std::to_string(std::max<int64_t>(40, 4 * top_k)) + "."});
    }
  }
};

}  // namespace phenom
