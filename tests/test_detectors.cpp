// The grokking detector and expectations on synthetic metric histories.
#include <gtest/gtest.h>

#include "detectors/detector.h"
#include "core/error.h"
#include "detectors/grokking.h"
#include "sweep/detector.h"
#include "sweep/trend.h"
#include "spec/spec.h"
#include "train/experiment.h"

namespace phenom {
namespace {

// train/acc and test/acc as step functions: train reaches 1 at `train_at`, test at `test_at`
// (-1: never; test then stays at `test_floor`).
MetricHistory history(int64_t train_at, int64_t test_at, double test_floor = 0.005, int64_t steps = 200) {
  MetricHistory h;
  for (int64_t step = 0; step <= steps; step += 2) {
    MetricRow row{step, {}};
    row.set("train/acc", step >= train_at ? 1.0 : 0.3);
    row.set("test/acc", test_at >= 0 && step >= test_at ? 0.99 : test_floor);
    h.append(row);
  }
  return h;
}

Json detect(const MetricHistory& h) {
  GrokkingOptions options;
  Spec spec = load_spec_text("task: {type: modular_arithmetic, modulus: 7}\nmodel: {type: mlp}\noptimizer: {type: sgd}\n");
  BuildContext context(spec, torch::kCPU);
  auto detector = find_entry(detector_registry(), "grokking")->build(options, context);
  InputSpec inputs;
  inputs.num_classes = 97;
  return detector->detect(h, inputs);
}

TEST(GrokkingDetector, DelayedGeneralisationIsDetected) {
  Json r = detect(history(20, 80));
  EXPECT_EQ(r["step_train"], 20);
  EXPECT_EQ(r["step_test"], 80);
  EXPECT_DOUBLE_EQ(r["lag_ratio"].get<double>(), 4.0);
  EXPECT_TRUE(r["below_chance_at_step_train"].get<bool>());  // 0.005 < 1/97
  EXPECT_TRUE(r["detected"].get<bool>());
}

TEST(GrokkingDetector, NeverGeneralisedIsNotDetected) {
  Json r = detect(history(20, -1));
  EXPECT_TRUE(r["step_test"].is_null());
  EXPECT_TRUE(r["lag_ratio"].is_null());
  EXPECT_FALSE(r["generalized"].get<bool>());
  EXPECT_FALSE(r["detected"].get<bool>());
}

TEST(GrokkingDetector, GeneralisationWithoutDelayIsNotGrokking) {
  Json r = detect(history(20, 22, 0.5));
  EXPECT_TRUE(r["generalized"].get<bool>());
  EXPECT_LT(r["lag_ratio"].get<double>(), 1.5);
  EXPECT_FALSE(r["below_chance_at_step_train"].get<bool>());
  EXPECT_FALSE(r["detected"].get<bool>());
}

TEST(Expectations, CompareNumbersBooleansAndMissingValues) {
  Json summary = {{"status", "completed"}, {"grokking", {{"detected", true}, {"lag_ratio", 2.0}, {"step_test", nullptr}}},
                  {"final", {{"test/acc", 0.97}}}};
  Spec spec = load_spec_text(
      "task: {type: modular_arithmetic, modulus: 7}\nmodel: {type: mlp}\noptimizer: {type: sgd}\n"
      "detectors: [{type: grokking}]\n"
      "expect: {grokking.detected: true, grokking.lag_ratio: '>= 1.5', final.test/acc: '< 0.9', "
      "status: completed, grokking.step_test: '> 0', final.train/acc: '>= 0'}\n");
  auto results = check_expectations(spec.expect, summary);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_TRUE(results[0].passed);
  EXPECT_TRUE(results[1].passed);
  EXPECT_FALSE(results[2].passed);  // 0.97 is not < 0.9
  EXPECT_TRUE(results[3].passed);
  EXPECT_FALSE(results[4].passed);  // never produced
  EXPECT_FALSE(results[5].passed);  // no such metric
}

TEST(TrendDetector, MeansMonotonicityAndRankCorrelation) {
  TrendOptions options;
  options.x = "task.train_fraction";
  options.y = "grokking.step_test";
  options.expect = "decreasing";
  auto trend = find_entry(sweep_detector_registry(), "trend")->build(options);
  EXPECT_THROW(trend->check({"seed"}), BadInput);
  std::vector<SweepRow> rows;
  // step_test falls as the train fraction grows; two seeds per fraction.
  for (auto [fraction, step] : std::vector<std::pair<const char*, int>>{{"0.3", 300}, {"0.3", 340}, {"0.5", 100}, {"0.5", 120}, {"0.4", 200}}) {
    rows.push_back({{{"task.train_fraction", fraction}, {"seed", "0"}}, {{"grokking", {{"step_test", step}}}}});
  }
  rows.push_back({{{"task.train_fraction", "0.6"}}, {{"grokking", {{"step_test", nullptr}}}}});  // never generalised: skipped
  Json r = trend->detect(rows);
  ASSERT_EQ(r["points"].size(), 3u);
  EXPECT_DOUBLE_EQ(r["points"][0]["mean"].get<double>(), 320.0);
  EXPECT_EQ(r["points"][0]["n"], 2);
  EXPECT_TRUE(r["monotone_decreasing"].get<bool>());
  EXPECT_FALSE(r["monotone_increasing"].get<bool>());
  EXPECT_LT(r["spearman"].get<double>(), -0.8);
  EXPECT_TRUE(r["detected"].get<bool>());
}

}  // namespace
}  // namespace phenom
