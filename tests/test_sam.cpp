// Sharpness-aware minimisation: the ascent moves by exactly rho along the (scaled) normalised
// gradient and back bit for bit; a step of the real run equals SAM computed by hand (whole batch and
// m-sharpness); a SAM run stopped and resumed is byte-identical to one that was not.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "spec/component.h"
#include "spec/spec.h"
#include "sweep/detector.h"
#include "sweep/flatness.h"
#include "sweep/trend.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom {
namespace {

using testing::CliResult;
using testing::run_cli;
using testing::slurp;
using testing::TempDir;
using testing::write_text;

const char* kSpec =
    "name: sam-check\ndevice: cpu\ndtype: float64\nseed: 3\n"
    "task: {type: modular_arithmetic, modulus: 11, train_fraction: 0.4}\n"
    "model: {type: mlp, width: 16}\n"
    "train: {steps: 1, batch_size: full, loss: cross_entropy, eval_every: 1}\n";

torch::Tensor flat(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> pieces;
  for (const auto& t : tensors) pieces.push_back(t.reshape(-1));
  return torch::cat(pieces);
}

TEST(Sam, TheAscentMovesByRhoAlongTheNormalisedGradientAndBackExactly) {
  for (const bool adaptive : {false, true}) {
    Experiment ex = build_experiment(
        load_spec_text(std::string(kSpec) + "optimizer: {type: sam, rho: 0.3, lr: 0.1, adaptive: " +
                       (adaptive ? "true" : "false") + "}\n"));
    const Batch& b = ex.task->train();
    auto params = ex.model->parameters();
    ex.optimizer->zero_grad();
    ex.task->loss(Loss::kCrossEntropy, ex.model->forward(b.inputs), b).backward();
    const torch::Tensor w = flat(params).clone(), g = flat(ex.optimizer->gradients()).clone();
    ex.optimizer->ascend();
    const torch::Tensor e = flat(params) - w;
    const torch::Tensor scale = adaptive ? w.abs() : torch::ones_like(w);
    const torch::Tensor expected = 0.3 * scale.square() * g / (scale * g).norm();
    // e is read back as (w + e) - w: exact up to the rounding of w + e, a few ulp of w.
    const double rounding = 4e-16 * w.abs().max().item<double>();
    EXPECT_LT((e - expected).abs().max().item<double>(), rounding + 1e-12 * expected.abs().max().item<double>());
    if (!adaptive) EXPECT_NEAR(e.norm().item<double>(), 0.3, 1e-12);
    ex.optimizer->restore();
    EXPECT_TRUE(torch::equal(flat(params), w)) << "restore must put back w bit for bit";
  }
}

// The train loss after one step of the real run, against SAM written out by hand from the same
// initialisation: g = grad L(w + e) with e from grad L(w) (per sub-batch of m with m-sharpness),
// w1 = w - lr g.
double by_hand(const std::string& options, int64_t m) {
  Experiment ex = build_experiment(load_spec_text(std::string(kSpec) + "optimizer: " + options + "\n"));
  const Batch& b = ex.task->train();
  auto params = ex.model->parameters();
  auto gradient = [&](const Batch& part) {
    auto loss = ex.task->loss(Loss::kCrossEntropy, ex.model->forward(part.inputs), part);
    return flat(torch::autograd::grad({loss}, params));
  };
  auto shift = [&](const torch::Tensor& delta) {
    torch::NoGradGuard no_grad;
    int64_t at = 0;
    for (auto& p : params) {
      p.add_(delta.slice(0, at, at + p.numel()).view(p.sizes()));
      at += p.numel();
    }
  };
  const int64_t n = b.size();
  if (m == 0) m = n;
  torch::Tensor sum = torch::zeros({flat(params).numel()}, torch::kDouble);
  for (int64_t begin = 0; begin < n; begin += m) {
    const Batch part = b.rows(begin, std::min(n, begin + m));
    const torch::Tensor g = gradient(part);
    const torch::Tensor e = 0.05 * g / g.norm();
    shift(e);
    sum += gradient(part) * (static_cast<double>(part.size()) / n);
    shift(-e);
  }
  shift(-0.1 * sum);
  torch::NoGradGuard no_grad;
  return ex.task->loss(Loss::kCrossEntropy, ex.model->forward(b.inputs), b).item<double>();
}

double run_loss(const std::string& options) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", std::string(kSpec) + "optimizer: " + options + "\n");
  CliResult r = run_cli("run spec.yaml --no-plot --out out --threads 1", tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  std::istringstream rows(slurp(tmp / "out/metrics.jsonl"));
  double loss = -1;
  for (std::string line; std::getline(rows, line);) {
    auto row = nlohmann::json::parse(line);
    if (row["step"] == 1) loss = row["train/loss"].get<double>();
  }
  return loss;
}

TEST(Sam, AStepOfTheRunIsSamComputedByHand) {
  // 48 training examples: m = 20 gives sub-batches of 20, 20 and 8 (weighted by their share).
  for (const int64_t m : {0, 20}) {
    const std::string options = "{type: sam, rho: 0.05, lr: 0.1, m: " + std::to_string(m) + "}";
    const double expected = by_hand(options, m), got = run_loss(options);
    EXPECT_NEAR(got, expected, 1e-12 * expected) << "m = " << m;
    // and not plain gradient descent's step
    EXPECT_GT(std::abs(got - run_loss("{type: sgd, lr: 0.1}")), 1e-9) << "m = " << m;
  }
}

TEST(Sam, AStoppedAndResumedRunIsByteIdentical) {
  TempDir tmp;
  std::string spec = std::string(kSpec) + "optimizer: {type: sam, base: adam, lr: 0.01, rho: 0.1, m: 8}\n";
  spec.replace(spec.find("steps: 1, batch_size: full"), 26, "steps: 30, batch_size: 16, checkpoint_every: 10");
  write_text(tmp / "spec.yaml", spec);
  ASSERT_EQ(run_cli("run spec.yaml --no-plot --out whole --threads 1", tmp.path).code, 0);
  EXPECT_EQ(testing::stopped_and_resumed_metrics(tmp, "spec.yaml", "parts", 13), slurp(tmp / "whole/metrics.jsonl"));
}

// SAM on base adam steps with Adam's preconditioner, so the hessian probe's preconditioned
// sharpness is there from the first update, against (2 + 2 beta1) / ((1 - beta1) lr).
TEST(Sam, OnBaseAdamTheProbeMeasuresThePreconditionedSharpness) {
  TempDir tmp;
  std::string spec = std::string(kSpec) + "optimizer: {type: sam, base: adam, lr: 0.01, rho: 0.05, betas: [0.8, 0.99]}\n"
                     "probes: [{type: hessian, every: 1, preconditioned: true}]\n";
  spec.replace(spec.find("steps: 1,"), 9, "steps: 3,");
  write_text(tmp / "spec.yaml", spec);
  CliResult r = run_cli("run spec.yaml --no-plot --out run --threads 1 --quiet", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  std::istringstream lines(slurp(tmp / "run/metrics.jsonl"));
  int measured = 0;
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json row = nlohmann::json::parse(line);
    if (row["step"] == 0) {
      EXPECT_FALSE(row.contains("hessian/preconditioned_lambda_1")) << line;  // no update yet
      continue;
    }
    ASSERT_TRUE(row.contains("hessian/preconditioned_lambda_1")) << line;
    EXPECT_GT(row["hessian/preconditioned_lambda_1"].get<double>(), 0.0);
    EXPECT_NEAR(row["hessian/preconditioned_threshold"].get<double>(), (2 + 2 * 0.8) / (0.2 * 0.01), 1e-9);
    EXPECT_FALSE(row.contains("hessian/threshold")) << "SAM's stability threshold is not 2/lr";
    ++measured;
  }
  EXPECT_EQ(measured, 3);
}

TEST(Sam, OptionsOfTheOtherBaseAndANonPositiveRhoAreRefused) {
  TempDir tmp;
  for (const auto& [options, key] : std::vector<std::pair<std::string, std::string>>{
           {"{type: sam, rho: 0}", "optimizer.rho: found '0'"},
           {"{type: sam, rho: -0.1}", "optimizer.rho: found '-0.1'"},
           {"{type: sam, base: adam, momentum: 0.9}", "optimizer.momentum: momentum applies to base sgd"},
           {"{type: sam, betas: [0.9, 0.98]}", "optimizer.betas: betas and eps apply to base adam"}}) {
    write_text(tmp / "spec.yaml", std::string(kSpec) + "optimizer: " + options + "\n");
    CliResult r = run_cli("run spec.yaml --out out", tmp.path);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("spec.yaml:8:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(key), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(tmp / "out")) << options;
  }
}


SweepRow arm(int seed, const std::string& type, int batch, double sharpness, double test_acc) {
  SweepRow row;
  row.swept = {{"seed", std::to_string(seed)}, {"optimizer.type", type}, {"train.batch_size", std::to_string(batch)}};
  row.summary["final"] = {{"hessian/lambda_1", sharpness}, {"test/acc", test_acc}, {"train/acc", 1.0}};
  return row;
}

// Seed by seed: large batch sharper by 2x, SAM flatter, SAM as accurate (within 0.5 pp); detected
// when each holds in 4 of 5 seeds; the gap (1 - test acc here) ranks with sharpness.
TEST(FlatnessSweep, ComparesTheArmsSeedBySeed) {
  auto detector_for = [](const std::vector<SweepRow>& rows) {
    const auto* entry = find_entry(sweep_detector_registry(), "flatness");
    auto options = entry->make_options();
    auto& o = dynamic_cast<FlatnessSweepOptions&>(*options);
    o.small = {"optimizer.type=sgd", "train.batch_size=64"};
    o.large = {"optimizer.type=sgd", "train.batch_size=1000"};
    o.sam = {"optimizer.type=sam", "train.batch_size=64"};
    o.measures = {"final.hessian/lambda_1"};
    auto d = entry->build(o);
    d->check({"seed", "optimizer.type", "train.batch_size"});
    return d->detect(rows);
  };
  std::vector<SweepRow> rows;
  for (int seed = 0; seed < 5; ++seed) {
    rows.push_back(arm(seed, "sgd", 64, 3.0, 0.81));
    // seed 4: the large batch is sharper, but by less than 2x
    rows.push_back(arm(seed, "sgd", 1000, seed == 4 ? 5.0 : 30.0, 0.80));
    rows.push_back(arm(seed, "sam", 64, 2.0, seed == 3 ? 0.80 : 0.812));  // seed 3: 1 pp less accurate
    rows.push_back(arm(seed, "sam", 1000, 20.0, 0.805));                  // not an arm: only in the correlation
  }
  auto r = detector_for(rows);
  EXPECT_EQ(r["n_seeds"], 5);
  EXPECT_EQ(r["large_sharper"], 4);
  EXPECT_EQ(r["sam_flatter"], 5);
  EXPECT_EQ(r["sam_accuracy_kept"], 4);
  EXPECT_TRUE(r["detected"].get<bool>()) << r.dump();
  EXPECT_NEAR(r["large_minus_small_test_acc"].get<double>(), -0.01, 1e-12);
  EXPECT_GT(r["gap_rank_correlation"]["final.hessian/lambda_1"].get<double>(), 0.5) << r.dump();
  rows[3 * 4 + 1] = arm(3, "sgd", 1000, 4.0, 0.80);  // a second seed whose large batch is not 2x sharper
  EXPECT_FALSE(detector_for(rows)["detected"].get<bool>());
}

TEST(FlatnessSweep, AnArmKeyThatIsNotSweptIsRefused) {
  const auto* entry = find_entry(sweep_detector_registry(), "flatness");
  auto options = entry->make_options();
  auto& o = dynamic_cast<FlatnessSweepOptions&>(*options);
  o.small = {"train.batch_size=64"};
  o.large = {"train.batch_size=1000"};
  o.sam = {"optimizer.typ=sam"};
  EXPECT_THROW(entry->build(o)->check({"seed", "optimizer.type", "train.batch_size"}), std::exception);
}

// S-T2 as the trend detector's scaling check: the plateau sharpness of an edge-of-stability run
// follows 2/lr, so over a sweep of lr it scales as lr^-1 within 20%.
TEST(TrendScaling, MeansFollowAPowerOfTheSweptKeyWithinTheTolerance) {
  auto detect = [](const std::vector<std::pair<double, double>>& xy) {
    const auto* entry = find_entry(sweep_detector_registry(), "trend");
    auto options = entry->make_options();
    auto& o = dynamic_cast<TrendOptions&>(*options);
    o.x = "optimizer.lr";
    o.y = "edge_of_stability.plateau_sharpness";
    o.power = -1;
    o.scaling_tolerance = 0.2;
    std::vector<SweepRow> rows;
    for (const auto& [x, y] : xy) {
      SweepRow row;
      row.swept = {{"optimizer.lr", std::to_string(x)}};
      row.summary["edge_of_stability"] = {{"plateau_sharpness", y}};
      rows.push_back(row);
    }
    return entry->build(o)->detect(rows);
  };
  // 2/lr is 53.3 and 76.2: plateaus at 54.4 and 75.0 (ratio 1.38 of 1.43) hold; 54.4 and 60 do not.
  auto held = detect({{0.0375, 54.4}, {0.02625, 75.0}});
  EXPECT_TRUE(held["detected"].get<bool>()) << held.dump();
  // the first point is the smallest lr: 54.4 / 75.0 over the predicted 0.02625 / 0.0375
  EXPECT_NEAR(held["scaling"]["max_ratio_error"].get<double>(), 54.4 / 75.0 / 0.7 - 1, 1e-9);
  EXPECT_NEAR(held["scaling"]["fitted_power"].get<double>(), std::log(75.0 / 54.4) / std::log(0.7), 1e-9);
  auto failed = detect({{0.0375, 54.4}, {0.02625, 60.0}});
  EXPECT_FALSE(failed["detected"].get<bool>()) << failed.dump();
  EXPECT_FALSE(failed["scaling"]["holds"].get<bool>());
  EXPECT_FALSE(detect({{0.0375, 54.4}})["detected"].get<bool>());  // one value of x is no scaling
}

}  // namespace
}  // namespace phenom
