// In-context linear regression: the closed-form baselines against their known errors, the task's
// batch stream, per-position loss weights, shape and option errors, and a short run of the binary.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <fstream>
#include <tuple>

#include "cli_helpers.h"
#include "core/error.h"
#include "models/model.h"
#include "ops/loss.h"
#include "probes/icl_baselines.h"
#include "spec/spec.h"
#include "sweep/detector.h"
#include "sweep/task_diversity.h"
#include "tasks/icl_regression_task.h"
#include "train/experiment.h"

namespace phenom {
namespace {

using testing::run_cli;
using testing::TempDir;
using testing::write_text;

// Prompts x [N, n, d], w ~ N(0, I), y = x.w + sigma noise, from a fixed seed.
struct Prompts {
  torch::Tensor x, w, truth, y;
};
Prompts draw(int64_t N, int64_t n, int64_t d, double sigma, uint64_t seed, const torch::Tensor& pool = {}) {
  torch::manual_seed(seed);
  Prompts p;
  p.w = pool.defined() ? pool.index_select(0, torch::randint(pool.size(0), {N}, torch::kLong))
                       : torch::randn({N, d}, torch::kDouble);
  p.x = torch::randn({N, n, d}, torch::kDouble);
  p.truth = torch::matmul(p.x, p.w.unsqueeze(-1)).squeeze(-1);
  p.y = p.truth + sigma * torch::randn({N, n}, torch::kDouble);
  return p;
}
double error_at(const torch::Tensor& predicted, const Prompts& p, int64_t k) {
  return (predicted.select(1, k) - p.truth.select(1, k)).pow(2).mean().item<double>() / p.x.size(2);
}

// Garg et al.'s closed forms: least squares max(0, 1 - k/d) within 0.03 (Bayes-optimal here, k < d
// included, which needs the pseudo-inverse), averaging (d + 1)/k within 10%, zero 1. The squared
// errors are heavy-tailed (at k = 0 the standard deviation of (x.w)^2 / d is 1.8 for d = 5), so
// 2,000 prompts leave a standard error of 0.04 there; 50,000 bring it to 0.008 and the 0.03 bound
// to 3.7 standard errors (averaging's 10% at k = 10: ~4). 3-NN stays far from least squares past
// k = d (measured 0.46-0.60 at d = 5, k = 6-10).
TEST(IclBaselines, ClosedFormErrorsMatchMonteCarlo) {
  const int64_t d = 5, n = 11;
  const Prompts p = draw(50000, n, d, 0.0, 1);
  const torch::Tensor ols = predict_least_squares(p.x, p.y), avg = predict_averaging(p.x, p.y);
  const torch::Tensor knn = predict_nearest_neighbours(p.x, p.y, 3);
  for (int64_t k = 0; k < n; ++k) {
    EXPECT_NEAR(error_at(ols, p, k), std::max(0.0, 1.0 - static_cast<double>(k) / d), 0.03) << "k=" << k;
    if (k >= 5) EXPECT_NEAR(error_at(avg, p, k) / ((d + 1.0) / k), 1.0, 0.10) << "k=" << k;
    if (k > d) EXPECT_GT(error_at(knn, p, k), 0.3) << "k=" << k;
  }
  EXPECT_NEAR(error_at(torch::zeros_like(ols), p, 3), 1.0, 0.03);
}

// Ridge with lambda -> 0 is least squares (below d, the dual form's limit is the minimum-norm
// solution); with noise it beats least squares near k = d, where
// least squares' error blows up (the sample-wise double-descent peak).
TEST(IclBaselines, RidgeInterpolatesBetweenLeastSquaresAndShrinkage) {
  // Noiseless prompts; compared by the median, since among 2,000 square (k = d) prompts a few have
  // a smallest singular value near sqrt(lambda), where ridge still shrinks (seen: at most 0.09,
  // mean 1.3e-5 at lambda = 1e-8).
  const Prompts clean = draw(2000, 9, 4, 0.0, 2);
  const torch::Tensor limit = predict_ridge(clean.x, clean.y, 1e-8) - predict_least_squares(clean.x, clean.y);
  EXPECT_LT(limit.abs().median().item<double>(), 1e-7);
  const Prompts p = draw(2000, 9, 4, 0.5, 2);
  const torch::Tensor ridge = predict_ridge(p.x, p.y, 0.25), ols = predict_least_squares(p.x, p.y);
  EXPECT_LT(error_at(ridge, p, 4), 0.5 * error_at(ols, p, 4));
}

// The pool's Bayes predictor: with one task it is that task's prediction everywhere; on prompts
// from a pool of 4 it beats ridge at k = K (research cross-check 1); with 2^16 tasks it is ridge
// (MSE(dmmse, ridge)/D < 0.02 at k = K, D = 4, sigma^2 = 0.25).
TEST(IclBaselines, PoolPosteriorMeanLimits) {
  const int64_t D = 4, K = 16;
  torch::manual_seed(3);
  const torch::Tensor one = torch::randn({1, D}, torch::kDouble);
  const Prompts single = draw(200, K, D, 0.5, 4, one);
  EXPECT_LT((predict_pool_posterior_mean(single.x, single.y, one, 0.5) - single.truth).abs().max().item<double>(), 1e-9);

  const torch::Tensor four = torch::randn({4, D}, torch::kDouble);
  const Prompts small = draw(2000, K, D, 0.5, 5, four);
  const torch::Tensor dmmse = predict_pool_posterior_mean(small.x, small.y, four, 0.5);
  EXPECT_LT(error_at(dmmse, small, K - 1), error_at(predict_ridge(small.x, small.y, 0.25), small, K - 1));

  const torch::Tensor many = torch::randn({1 << 16, D}, torch::kDouble);
  const Prompts fresh = draw(500, K, D, 0.5, 6);
  const torch::Tensor big = predict_pool_posterior_mean(fresh.x, fresh.y, many, 0.5);
  const torch::Tensor ridge = predict_ridge(fresh.x, fresh.y, 0.25);
  EXPECT_LT((big.select(1, K - 1) - ridge.select(1, K - 1)).pow(2).mean().item<double>() / D, 0.02);
}

Spec icl_spec(const std::vector<std::string>& overrides = {}) {
  return load_spec_text(
      "task: {type: icl_regression, dim: 3, n_points: 7, eval_prompts: 50}\n"
      "model: {type: transformer, n_layers: 1, d_model: 16, n_heads: 2, d_head: 8, mlp_ratio: 2, layer_norm: true}\n"
      "optimizer: {type: adam, lr: 0.001}\ntrain: {steps: 10, batch_size: 8, loss: mse}\ndevice: cpu\n",
      overrides);
}

// The batch stream is a pure function of (seed, step): the same batch on a rebuilt task (a
// resumed run), different batches at different steps and seeds; the encoding is [0, x], [y, 0].
TEST(IclRegressionTask, BatchesArePureFunctionsOfSeedAndStep) {
  Experiment a = build_experiment(icl_spec()), b = build_experiment(icl_spec());
  Experiment c = build_experiment(icl_spec({"seed=1"}));
  const Batch first = a.task->batch(5);
  EXPECT_EQ(first.inputs.sizes(), (std::vector<int64_t>{8, 14, 4}));
  EXPECT_EQ(first.targets.sizes(), (std::vector<int64_t>{8, 7}));
  EXPECT_TRUE(torch::equal(first.inputs, b.task->batch(5).inputs));
  EXPECT_TRUE(torch::equal(a.task->batch(5).targets, first.targets));  // again, after other draws
  EXPECT_FALSE(torch::equal(first.inputs, a.task->batch(6).inputs));
  EXPECT_FALSE(torch::equal(first.inputs, c.task->batch(5).inputs));
  EXPECT_TRUE(torch::equal(first.inputs.select(1, 0).select(1, 0), torch::zeros({8})));  // x slot's flag
  EXPECT_TRUE(torch::equal(first.inputs.select(1, 1).select(1, 0), first.targets.select(1, 0)));
  EXPECT_TRUE(torch::equal(first.inputs.select(1, 1).slice(1, 1), torch::zeros({8, 3})));
  // Evaluation sets: one fixed `test` set for a fresh task per prompt; `pretrain` and `fresh` for a pool.
  ASSERT_EQ(a.task->eval_sets().size(), 1u);
  EXPECT_EQ(a.task->eval_sets()[0].name, "test");
  Experiment pool = build_experiment(icl_spec({"task.task_pool=4", "task.noise=0.5"}));
  ASSERT_EQ(pool.task->eval_sets().size(), 2u);
  EXPECT_EQ(pool.task->eval_sets()[0].name, "pretrain");
  EXPECT_EQ(pool.task->eval_sets()[1].name, "fresh");
  const auto& task = dynamic_cast<const IclRegressionTask&>(*pool.task);
  EXPECT_EQ(task.pool().sizes(), (std::vector<int64_t>{4, 3}));
}

// The curriculum: fewer pairs and zeroed extra dimensions early, the full size later.
TEST(IclRegressionTask, CurriculumIsAFunctionOfTheStep) {
  Experiment ex = build_experiment(icl_spec({"task.curriculum_every=10", "task.curriculum_dims_start=1",
                                             "task.curriculum_points_start=3"}));
  const Batch early = ex.task->batch(0), late = ex.task->batch(100);
  EXPECT_EQ(early.targets.size(1), 3);
  EXPECT_TRUE(torch::equal(early.inputs.select(1, 0).slice(1, 2), torch::zeros({8, 2})));  // x dims 2, 3 zero
  EXPECT_EQ(late.targets.size(1), 7);
  EXPECT_EQ(ex.task->batch(15).targets.size(1), 5);
  ex.model->forward(early.inputs);  // a shorter sequence runs through the same model
}

// The loss reads the model at the x positions and averages over the positions that count.
TEST(IclRegressionTask, PerPositionLossAndWeights) {
  torch::Tensor predicted = torch::tensor({{1.0, 2.0, 3.0}}), target = torch::zeros({1, 3});
  EXPECT_NEAR(position_mse(predicted, target, {}).item<double>(), 14.0 / 3, 1e-6);
  EXPECT_NEAR(position_mse(predicted, target, torch::tensor({1.0, 0.0, 1.0})).item<double>(), 5.0, 1e-6);
  EXPECT_NEAR(position_mse(predicted, target, torch::tensor({{0.0, 1.0, 0.0}})).item<double>(), 4.0, 1e-6);
  Experiment ex = build_experiment(icl_spec());
  const Batch batch = ex.task->batch(0);
  torch::Tensor outputs = ex.model->forward(batch.inputs);
  EXPECT_EQ(outputs.sizes(), (std::vector<int64_t>{8, 14, 1}));
  const torch::Tensor at_x = outputs.select(2, 0).slice(1, 0, 14, 2);
  EXPECT_NEAR(ex.task->loss(Loss::kMse, outputs, batch).item<double>(), (at_x - batch.targets).pow(2).mean().item<double>(),
              1e-6);
}

// Bad input, each before step 0 with its key: a model that cannot read vectors, a loss the task
// cannot take, a full batch, an unknown pool value, n_points < 1, a curriculum above the task's
// size and an evaluation set too large for memory (with the estimate).
TEST(IclRegressionTask, BadInputIsASpecError) {
  auto problem = [](const std::vector<std::string>& overrides) {
    try {
      icl_spec(overrides);
    } catch (const SpecError& e) {
      return e.summary;
    }
    return std::string("no error");
  };
  const std::string mlp = problem({"model={type: mlp, width: 8}"});
  EXPECT_NE(mlp.find("vectors [14, 4]"), std::string::npos) << mlp;
  EXPECT_NE(mlp.find("tokens [T] or features [D]"), std::string::npos) << mlp;
  EXPECT_NE(problem({"train.loss=cross_entropy"}).find("train.loss"), std::string::npos);
  EXPECT_NE(problem({"train.batch_size=full"}).find("train.batch_size"), std::string::npos);
  const std::string pool = problem({"task.task_pool=many"});
  EXPECT_NE(pool.find("task.task_pool"), std::string::npos) << pool;
  EXPECT_NE(pool.find("`inf`"), std::string::npos) << pool;
  EXPECT_NE(problem({"task.n_points=0"}).find("task.n_points"), std::string::npos);
  EXPECT_NE(problem({"task.curriculum_every=10", "task.curriculum_points_start=9"}).find("curriculum_points_start"),
            std::string::npos);
  EXPECT_NE(problem({"task.eval_prompts=100000000000"}).find("MiB"), std::string::npos);
}

TEST(IclRegressionTask, ProbeForAnotherTaskIsASpecError) {
  try {
    load_spec_text("task: {type: modular_arithmetic, modulus: 7}\nmodel: {type: mlp}\n"
                   "probes: [{type: weight_norm}, {type: icl_regression}]\n");
    FAIL() << "no error";
  } catch (const SpecError& e) {
    EXPECT_NE(e.summary.find("probes.1.type"), std::string::npos) << e.summary;
    EXPECT_NE(e.summary.find("icl_regression"), std::string::npos) << e.summary;
  }
}

// End to end through the binary: a short run learns in context (its error at k > d below
// averaging's), writes the per-k metrics and the summary, and is resumable like any run.
TEST(IclRegressionTask, ShortRunBeatsAveraging) {
  TempDir tmp;
  write_text(tmp / "spec.yaml",
             "name: icl-short\nseed: 0\n"
             "task: {type: icl_regression, dim: 3, n_points: 9, eval_prompts: 400}\n"
             "model: {type: transformer, n_layers: 2, d_model: 32, n_heads: 2, d_head: 16, mlp_ratio: 4, "
             "activation: gelu, layer_norm: true}\n"
             "optimizer: {type: adam, lr: 0.002}\n"
             "train: {steps: 600, batch_size: 64, loss: mse, eval_every: 200}\n"
             "probes: [{type: icl_regression}]\n");
  const auto r = run_cli("run spec.yaml --no-plot --quiet --out out --threads 1", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto summary = nlohmann::json::parse(testing::slurp(tmp / "out/summary.json"));
  const auto& icl = summary["icl_regression"];
  const double model = icl["error"][6].get<double>(), averaging = icl["baseline_error"]["averaging"][6].get<double>();
  EXPECT_LT(model, averaging) << summary.dump(1);
  EXPECT_TRUE(summary["final"].contains("icl/error/k=6"));
  EXPECT_TRUE(summary["final"].contains("icl/dist/ols/k=6"));
  EXPECT_TRUE(summary["final"].contains("test/loss"));
}

// reference_pool: a fixed small pool's dMMSE as one more baseline. On fresh tasks with 16 in-context pairs a 4-task pool's Bayes predictor is far from the
// truth, while ridge is near it (research cross-check: the model trained at M = inf must be nearer
// ridge than this predictor).
TEST(IclRegressionTask, ReferencePoolIsAFixedBaseline) {
  TempDir tmp;
  write_text(tmp / "spec.yaml",
             "task: {type: icl_regression, dim: 4, n_points: 16, noise: 0.5, eval_prompts: 500}\n"
             "model: {type: transformer, n_layers: 1, d_model: 16, n_heads: 2, d_head: 8, mlp_ratio: 2, layer_norm: true}\n"
             "optimizer: {type: adam, lr: 0.001}\ntrain: {steps: 4, batch_size: 8, loss: mse, eval_every: 2}\n"
             "probes: [{type: icl_regression, reference_pool: 4}]\n");
  const auto r = run_cli("run spec.yaml --no-plot --quiet --out out --threads 1", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto summary = nlohmann::json::parse(testing::slurp(tmp / "out/summary.json"));
  const auto& icl = summary["icl_regression"];
  const double reference = icl["baseline_error_at_last/dmmse_ref"].get<double>();
  const double ridge = icl["baseline_error_at_last/ridge"].get<double>();
  EXPECT_GT(reference, 0.2) << icl.dump(1);
  EXPECT_LT(ridge, 0.1) << icl.dump(1);
  EXPECT_DOUBLE_EQ(icl["baseline_error"]["dmmse_ref"].back().get<double>(), reference);
  EXPECT_TRUE(summary["final"].contains("icl/dist/dmmse_ref/k=15"));
}

// A streamed task resumes exactly after kill -9: its batches (curriculum included) depend only on
// (seed, step), so the resumed metrics are byte-identical to an uninterrupted run's.
TEST(IclRegressionTask, KilledRunResumesToByteIdenticalMetrics) {
  TempDir tmp;
  write_text(tmp / "spec.yaml",
             "name: icl-kill\n"
             "task: {type: icl_regression, dim: 3, n_points: 9, eval_prompts: 200, curriculum_every: 100, "
             "curriculum_points_start: 5}\n"
             "model: {type: transformer, n_layers: 2, d_model: 32, n_heads: 2, d_head: 16, mlp_ratio: 4, "
             "activation: gelu, layer_norm: true}\n"
             "optimizer: {type: adam, lr: 0.002}\n"
             "train: {steps: 800, batch_size: 64, loss: mse, eval_every: 10, checkpoint_every: 100}\n"
             "probes: [{type: icl_regression, every: 50}]\n");
  const std::string reference = testing::reference_metrics(tmp, "spec.yaml");
  const int status = testing::run_and_signal(tmp, "spec.yaml", SIGKILL, /*min_rows=*/30);  // ~step 300 of 800
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed; make it longer";
  const auto resumed = run_cli("run spec.yaml --no-plot --out resumed --threads 1", tmp.path);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming"), std::string::npos) << resumed.output;
  EXPECT_EQ(testing::slurp(tmp / "resumed/metrics.jsonl"), reference);
}

}  // namespace
}  // namespace phenom

namespace phenom {
namespace {

// task_diversity on a synthetic sweep: two seeds per M, dMMSE nearer for M <= 64, ridge nearer from
// M = 1024, M = inf reported apart; a noisy reversal in the middle adds sign changes; near-equal
// distances are ties.
TEST(TaskDiversityDetector, FindsTheCrossingFromDmmseToRidge) {
  TaskDiversityOptions options;
  auto detector = find_entry(sweep_detector_registry(), "task_diversity")->build(options);
  EXPECT_THROW(detector->check({"seed"}), BadInput);
  auto rows_for = [](const std::vector<std::tuple<const char*, double, double>>& points) {
    std::vector<SweepRow> rows;
    for (const auto& [M, dmmse, ridge] : points) {
      for (const char* seed : {"0", "1"}) {
        nlohmann::ordered_json icl;
        if (std::string(M) == "inf") {
          icl = {{"dist_at_last/ridge", ridge}, {"error_at_last", 0.3}};
        } else {
          icl = {{"fresh/dist_at_last/dmmse", dmmse}, {"fresh/dist_at_last/ridge", ridge}, {"fresh/error_at_last", 0.5}};
        }
        rows.push_back({{{"task.task_pool", M}, {"seed", seed}}, {{"icl_regression", icl}}});
      }
    }
    return rows;
  };
  nlohmann::ordered_json r = detector->detect(
      rows_for({{"4", 0.01, 0.3}, {"64", 0.05, 0.2}, {"1024", 0.2, 0.02}, {"16384", 0.25, 0.01}, {"inf", 0, 0.01}}));
  ASSERT_EQ(r["points"].size(), 4u);
  EXPECT_EQ(r["points"][0]["nearer"], "dmmse");
  EXPECT_EQ(r["points"][2]["nearer"], "ridge");
  EXPECT_EQ(r["transition_M"].get<double>(), 1024);
  EXPECT_EQ(r["sign_changes"], 1);
  EXPECT_DOUBLE_EQ(r["inf"]["dist_ridge"].get<double>(), 0.01);
  EXPECT_TRUE(r["detected"].get<bool>());
  r = detector->detect(rows_for({{"4", 0.01, 0.3}, {"64", 0.3, 0.2}, {"256", 0.1, 0.2}, {"1024", 0.2, 0.02}}));
  EXPECT_EQ(r["sign_changes"], 3);
  EXPECT_FALSE(r["detected"].get<bool>());
  // At large M dMMSE and ridge nearly coincide: a 2% difference either way is a tie, not a crossing.
  r = detector->detect(rows_for({{"4", 0.01, 0.3}, {"64", 0.3, 0.1}, {"1024", 0.2, 0.1}, {"16384", 0.107, 0.109}}));
  EXPECT_EQ(r["points"][3]["nearer"], "tie");
  EXPECT_EQ(r["sign_changes"], 1);
  EXPECT_TRUE(r["large_M_nearer_ridge"].get<bool>());
  EXPECT_TRUE(r["detected"].get<bool>());
  r = detector->detect(rows_for({{"4", 0.4, 0.3}, {"1024", 0.2, 0.02}}));  // ridge-like already at M = 4
  EXPECT_FALSE(r["small_M_nearer_dmmse"].get<bool>());
  EXPECT_FALSE(r["detected"].get<bool>());
}

}  // namespace
}  // namespace phenom

namespace phenom {
namespace {

// The checks beside the crossing (research cross-checks 2 and 3): the fresh-task error falls with M
// (Spearman's rho over every run, inf the largest), and at M = inf the model is nearer ridge than a
// 4-task pool's dMMSE and its error is within a limit of ridge's, per run.
TEST(TaskDiversityDetector, ErrorFallsWithMAndInfIsRidgeLike) {
  TaskDiversityOptions options;
  options.max_error_spearman = -0.7;
  options.max_error_over_ridge = 1.5;
  auto detector = find_entry(sweep_detector_registry(), "task_diversity")->build(options);
  // error per M (two seeds alike); at inf: distance to the reference pool's dMMSE, ridge's error.
  auto rows_for = [](const std::vector<double>& errors, double dist_reference, double ridge_error) {
    std::vector<SweepRow> rows;
    const std::vector<std::string> Ms = {"4", "64", "1024", "inf"};
    for (size_t i = 0; i < Ms.size(); ++i) {
      for (const char* seed : {"0", "1"}) {
        nlohmann::ordered_json icl;
        if (Ms[i] == "inf") {
          icl = {{"dist_at_last/ridge", 0.02}, {"dist_at_last/dmmse_ref", dist_reference}, {"error_at_last", errors[i]},
                 {"baseline_error_at_last/ridge", ridge_error}};
        } else {
          const double dmmse = i == 0 ? 0.01 : 0.3;
          icl = {{"fresh/dist_at_last/dmmse", dmmse}, {"fresh/dist_at_last/ridge", 0.1}, {"fresh/error_at_last", errors[i]}};
        }
        rows.push_back({{{"task.task_pool", Ms[i]}, {"seed", seed}}, {{"icl_regression", icl}}});
      }
    }
    return rows;
  };
  nlohmann::ordered_json r = detector->detect(rows_for({0.9, 0.4, 0.2, 0.12}, 0.5, 0.1));
  EXPECT_LT(r["error_spearman"].get<double>(), -0.9);
  EXPECT_EQ(r["inf"]["nearer_ridge_than_dmmse_ref"], "2/2");
  EXPECT_NEAR(r["inf"]["error_over_ridge"][0].get<double>(), 1.2, 1e-12);
  EXPECT_TRUE(r["detected"].get<bool>());
  r = detector->detect(rows_for({0.2, 0.4, 0.9, 0.12}, 0.5, 0.1));  // error rises with M
  EXPECT_FALSE(r["error_falls_with_M"].get<bool>());
  EXPECT_FALSE(r["detected"].get<bool>());
  r = detector->detect(rows_for({0.9, 0.4, 0.2, 0.12}, 0.01, 0.1));  // nearer the 4-task pool than ridge
  EXPECT_EQ(r["inf"]["nearer_ridge_than_dmmse_ref"], "0/2");
  EXPECT_FALSE(r["detected"].get<bool>());
  r = detector->detect(rows_for({0.9, 0.4, 0.2, 0.12}, 0.5, 0.06));  // error twice ridge's
  EXPECT_FALSE(r["detected"].get<bool>());
}

}  // namespace
}  // namespace phenom
