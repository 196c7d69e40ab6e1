#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

// How the runs at one x (seeds) combine.
enum class SeedStatistic { kMean, kMedian };
template <>
struct Words<SeedStatistic> {
  static constexpr std::array names{"mean", "median"};
};

struct DoubleDescentOptions : OptionsBase {
  std::string x;
  std::string y = "final.test/loss";
  SeedStatistic statistic = SeedStatistic::kMean;
  std::string threshold;
  double tolerance = 1.25;
  double min_ratio = 2.0;
  std::string reference;
  void visit(Visitor& v) override {
    v.field("x", x, "the swept capacity or sample-size key, e.g. model.width or task.n_train (required)");
    v.field("y", y, "the run summary value whose curve is checked (a test loss or error)");
    v.field("statistic", statistic, "how runs at one x (seeds) combine; median resists the heavy tail at the "
                                    "interpolation threshold");
    v.field("threshold", threshold,
            "the interpolation threshold in units of x: a number or an expression over run-summary keys, e.g. "
            "data.n_train (random features), data.dim (linear, sample-wise) or "
            "data.n_train * data.num_classes / (data.feature_dim + 1 + data.num_classes) (two-layer width); empty: none");
    v.field("tolerance", tolerance, "the peak is at the threshold when it lies within [t / tolerance, t * tolerance]",
            AtLeast(1));
    v.field("min_ratio", min_ratio, "detected when the peak is at least this many times the values on both sides "
                                    "(at x/4 and 4x, or the grid ends)", AtLeast(1));
    v.field("reference", reference, "a run summary value to report beside y at every x with the ratio y / "
                                    "reference, e.g. data.min_norm_expected_excess_risk (closed form); empty: none");
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override;
};

}  // namespace phenom
