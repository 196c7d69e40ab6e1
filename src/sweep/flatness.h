// flatness (sweep detector): small batch against large batch and SAM, seed by seed (Keskar et al.
// 2017; Foret et al. 2021). Each arm is named by the swept values that select it.
#pragma once
#include <string>
#include <vector>

#include "spec/options.h"

namespace phenom {

struct FlatnessSweepOptions : OptionsBase {
  std::vector<std::string> small, large, sam;
  std::string sharpness = "final.hessian/lambda_1";
  std::vector<std::string> measures = {"final.hessian/lambda_1", "final.hessian/trace", "final.flatness/eps_sharpness"};
  std::string test_acc = "final.test/acc";
  std::string train_acc = "final.train/acc";
  double large_factor = 2;
  double accuracy_margin = 0.005;
  double fraction = 0.8;
  void visit(Visitor& v) override {
    v.field("small", small, "swept values of the small-batch arm, e.g. [train.batch_size=64, optimizer.type=sgd]");
    v.field("large", large, "swept values of the large-batch arm");
    v.field("sam", sam, "swept values of the SAM arm");
    v.field("sharpness", sharpness, "run summary value compared between the arms");
    v.field("measures", measures, "flatness measures rank-correlated with the generalisation gap over all runs");
    v.field("test_acc", test_acc, "run summary value: test accuracy");
    v.field("train_acc", train_acc, "run summary value: training accuracy (gap = train_acc - test_acc)");
    v.field("large_factor", large_factor, "large batch counts as sharper when its sharpness > this x small's", Positive());
    v.field("accuracy_margin", accuracy_margin, "SAM keeps accuracy when its test_acc >= small's - this", NonNegative());
    v.field("fraction", fraction, "detected when each comparison holds in at least this fraction of seeds",
            Between(0, 1));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    for (const auto& [key, arm] : {std::pair{"small", &small}, {"large", &large}, {"sam", &sam}}) {
      if (arm->empty()) problems.push_back({key, std::string("list the swept values of the ") + key +
                                                     " arm, e.g. " + key + ": [train.batch_size=64]."});
      for (const auto& item : *arm) {
        if (item.find('=') == std::string::npos) {
          problems.push_back({key, "'" + item + "' is not key=value; write e.g. train.batch_size=64."});
        }
      }
    }
  }
};

}  // namespace phenom
