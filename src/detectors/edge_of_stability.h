#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct EdgeOfStabilityOptions : OptionsBase {
  std::string sharpness_metric = "hessian/lambda_1";
  std::string threshold_metric = "hessian/threshold";
  std::string loss_metric = "train/loss";
  double onset_fraction = 0.9;
  double stable_fraction = 0.8;
  double band_low = 0.9, band_high = 1.25;
  double max_ratio = 1.6;
  void visit(Visitor& v) override {
    v.field("sharpness_metric", sharpness_metric, "the top Hessian eigenvalue (the hessian probe's)");
    v.field("threshold_metric", threshold_metric, "the stability threshold 2/lr ((2 + 2 beta)/lr with momentum)");
    v.field("loss_metric", loss_metric, "the training loss, whose monotonicity is compared before and after onset");
    v.field("onset_fraction", onset_fraction, "onset: the first measured step with sharpness >= this x threshold",
            OpenInterval(0, 2));
    v.field("stable_fraction", stable_fraction,
            "loss_rising_before: over the steps before sharpness first reaches this x threshold (the stable regime)",
            OpenInterval(0, 2));
    v.field("band_low", band_low, "detected needs the median ratio after onset in [band_low, band_high]", Positive());
    v.field("band_high", band_high, "upper end of that band", Positive());
    v.field("max_ratio", max_ratio, "detected needs the largest ratio after onset below this", Positive());
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (band_low >= band_high) problems.push_back({"band_low", "band_low must be below band_high."});
  }
};

}  // namespace phenom
