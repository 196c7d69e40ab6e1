// Flatness beside lambda_max: Keskar et al.'s (2017) epsilon-box sharpness, the largest relative
// rise of the loss over the box |y_i| <= epsilon (|w_i| + 1), found by projected sign-gradient
// ascent; and, at the end of the run, the loss along a random and the top-eigenvector direction
// (a 1-D slice of the landscape, for a figure). Torch-free options.
#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct FlatnessOptions : ProbeOptions {
  double epsilon = 1e-3;
  int64_t ascent_steps = 20;
  int64_t slice_points = 21;
  double slice_radius = 1.0;
  double eigen_radius = 0.05;
  std::string set = "train";
  int64_t examples = 0;
  void visit(Visitor& v) override {
    v.field("epsilon", epsilon, "box half-width relative to |w_i| + 1 (Keskar et al.: 1e-3 and 5e-4)", Positive());
    v.field("ascent_steps", ascent_steps, "projected sign-gradient ascent steps inside the box", AtLeast(1));
    v.field("slice_points", slice_points, "points of each 1-D loss slice at the end of the run (0: no slices)",
            NonNegative());
    v.field("slice_radius", slice_radius,
            "the random slice spans alpha in [-radius, radius] along a Gaussian direction scaled to the norm of each "
            "parameter tensor (Li et al.'s normalisation, per tensor)", Positive());
    v.field("eigen_radius", eigen_radius,
            "the top-eigenvector slice spans alpha in [-radius, radius] along the unit eigenvector times the norm "
            "of all parameters (curvature lambda_max makes a wide span leave the basin)", Positive());
    v.field("set", set, "the fixed evaluation set whose loss is measured (train: the training split)");
    v.field("examples", examples, "the first N examples of the set only (0: all of it)", NonNegative());
  }
};

}  // namespace phenom
