#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

// The direction a trend detector expects.
enum class TrendDirection { kIncreasing, kDecreasing, kAny };
template <>
struct Words<TrendDirection> {
  static constexpr std::array names{"increasing", "decreasing", "any"};
};

struct TrendOptions : OptionsBase {
  std::string x;
  std::string y = "final.test/acc";
  TrendDirection expect = TrendDirection::kAny;
  double power = 1;
  double scaling_tolerance = 0;
  void visit(Visitor& v) override {
    v.field("x", x, "a swept key, e.g. task.train_fraction (required)");
    v.field("y", y, "a run summary value: final.<metric> or <detector>.<field>, e.g. grokking.step_test");
    v.field("expect", expect, "detected when the mean of y over the other keys is monotone this way");
    v.field("power", power, "the exponent p of the scaling y ~ x^p that scaling_tolerance checks, e.g. -1 for y ~ 1/x");
    v.field("scaling_tolerance", scaling_tolerance,
            "above 0: detected also needs every mean's ratio to the first x's, over (x / x_first)^power, within 1 "
            "+- this (0.2: within 20%); 0: no scaling check", NonNegative());
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (x.empty()) problems.push_back({"x", "set x to the swept key the trend is over, e.g. x: task.train_fraction."});
  }
};

}  // namespace phenom
