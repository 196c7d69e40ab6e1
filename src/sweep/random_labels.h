#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct RandomLabelsOptions : OptionsBase {
  std::string x;
  std::string train_acc = "final.train/acc";
  std::string test_acc = "final.test/acc";
  std::string steps = "stop.step";
  double fitted = 0.99;
  double chance = 0.0;
  double chance_band = 0.04;
  double inversion_tolerance = 0.1;
  int64_t max_inversions = 1;
  void visit(Visitor& v) override {
    v.field("x", x, "the swept corruption level, e.g. task.random_labels (required)");
    v.field("train_acc", train_acc, "run summary value: training accuracy at the end");
    v.field("test_acc", test_acc, "run summary value: clean test accuracy at the end");
    v.field("steps", steps, "run summary value: steps to fit the training set (train.stop_train_acc sets it)");
    v.field("fitted", fitted, "a run fitted its labels when train_acc >= this", Between(0, 1));
    v.field("chance", chance, "chance accuracy (0: 1 / data.num_classes from the runs' summaries)", Between(0, 1));
    v.field("chance_band", chance_band, "test accuracy at the largest x counts as chance within chance +- this",
            Between(0, 1));
    v.field("inversion_tolerance", inversion_tolerance,
            "steps-to-fit may drop by at most this fraction between neighbouring x and still count as non-decreasing",
            Between(0, 1));
    v.field("max_inversions", max_inversions, "how many such small drops are allowed", NonNegative());
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (x.empty()) problems.push_back({"x", "set x to the swept corruption key, e.g. x: task.random_labels."});
  }
};

}  // namespace phenom
