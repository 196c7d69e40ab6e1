#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct GrokkingOptions : OptionsBase {
  double train_acc = 0.99;
  double test_acc = 0.95;
  double min_lag_ratio = 1.5;
  std::string train_metric = "train/acc";
  std::string test_metric = "test/acc";
  std::string test_loss_metric = "test/loss";
  double loss_fraction = 0.1;
  void visit(Visitor& v) override {
    v.field("train_acc", train_acc, "step_train: first logged step with train accuracy >= this", OpenInterval(0, 1.0000001));
    v.field("test_acc", test_acc, "step_test: first logged step with test accuracy >= this", OpenInterval(0, 1.0000001));
    v.field("min_lag_ratio", min_lag_ratio, "detected needs step_test / step_train >= this (a delay, not just "
                                            "generalisation)", AtLeast(1));
    v.field("train_metric", train_metric, "metric read for memorisation");
    v.field("test_metric", test_metric, "metric read for generalisation");
    v.field("test_loss_metric", test_loss_metric, "loss compared with fourier/restricted_loss (transformer)");
    v.field("loss_fraction", loss_fraction,
            "step_restricted_loss / step_test_loss: first step where the loss is at most this fraction of its "
            "initial value", OpenInterval(0, 1));
  }
};

}  // namespace phenom
