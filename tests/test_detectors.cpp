// The grokking detector and expectations on synthetic metric histories.
#include <gtest/gtest.h>

#include "detectors/detector.h"
#include "core/error.h"
#include "detectors/edge_of_stability.h"
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

// Sharpness rising linearly from 50 to the threshold 200 by step 400, then oscillating around
// `plateau` x 200; the loss falling monotonically before, with a rise every 4th step after.
MetricHistory eos_history(double plateau) {
  MetricHistory h;
  double loss = 1.0;
  for (int64_t step = 0; step <= 1000; ++step) {
    MetricRow row{step, {}};
    loss *= step > 400 && step % 4 == 0 ? 1.01 : 0.995;
    row.set("train/loss", loss);
    if (step % 20 == 0) {
      const double lambda = step <= 400 ? 50 + 150 * step / 400.0 : 200 * plateau * (1 + 0.05 * ((step / 20) % 2 ? 1 : -1));
      row.set("hessian/lambda_1", lambda);
      row.set("hessian/threshold", 200.0);
    }
    h.append(row);
  }
  return h;
}

Json detect_eos(const MetricHistory& h) {
  EdgeOfStabilityOptions options;
  Spec spec = load_spec_text("task: {type: modular_arithmetic, modulus: 7}\nmodel: {type: mlp}\noptimizer: {type: sgd}\n");
  BuildContext context(spec, torch::kCPU);
  return find_entry(detector_registry(), "edge_of_stability")->build(options, context)->detect(h, InputSpec{});
}

TEST(EdgeOfStabilityDetector, OnsetPlateauAndLossMonotonicity) {
  Json r = detect_eos(eos_history(1.05));
  EXPECT_EQ(r["onset_step"], 360);  // 50 + 150 * 360/400 = 185 >= 0.9 * 200 first there
  EXPECT_NEAR(r["sharpening"].get<double>(), 185.0 / 50.0, 1e-9);
  EXPECT_NEAR(r["median_ratio"].get<double>(), 1.05 * 0.95, 0.06);
  EXPECT_NEAR(r["max_ratio"].get<double>(), 1.05 * 1.05, 1e-9);
  EXPECT_EQ(r["loss_rising_before"], 0.0);
  EXPECT_NEAR(r["loss_rising_after"].get<double>(), 150 / 640.0, 1e-12);  // rises at 404, 408, ..., 1000 of 640 intervals
  EXPECT_TRUE(r["loss_fell_after_onset"].get<bool>());  // 0.995^(1000 - 150) * 1.01^150 < 0.995^360
  EXPECT_TRUE(r["detected"].get<bool>()) << r.dump();
  // A plateau at 1.5 x threshold is not the edge of stability; sharpness that never gets there has no onset.
  EXPECT_FALSE(detect_eos(eos_history(1.5))["detected"].get<bool>());
  MetricHistory low;
  for (int64_t step = 0; step <= 100; step += 20) low.append(MetricRow{step, {{"hessian/lambda_1", 50.0}, {"hessian/threshold", 200.0}}});
  Json never = detect_eos(low);
  EXPECT_TRUE(never["onset_step"].is_null());
  EXPECT_FALSE(never["detected"].get<bool>());
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
  options.expect = TrendDirection::kDecreasing;
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
