// Double descent and the generalisation mystery: the IDX reader, Fashion-MNIST corruptions, the
// min-norm solver, the closed-form risk of linear regression, pixel-permutation equivariance, the
// sweep-level detectors, and small end-to-end sweeps on the real data.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "cli_helpers.h"
#include "core/error.h"
#include "models/model.h"
#include "spec/spec.h"
#include "sweep/detector.h"
#include "sweep/double_descent.h"
#include "sweep/points.h"
#include "sweep/random_labels.h"
#include "tasks/idx.h"
#include "tasks/linear_regression.h"
#include "tasks/task.h"
#include "train/experiment.h"
#include "train/fit.h"

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;
using testing::TempDir;

// A fake Fashion-MNIST folder: random 28x28 images, labels cycling through the 10 classes.
void write_fake_fashion_mnist(const std::string& dir, int64_t n_train = 300, int64_t n_test = 100) {
  std::mt19937 rng(7);
  for (auto [prefix, n] : std::vector<std::pair<std::string, int64_t>>{{"train", n_train}, {"t10k", n_test}}) {
    IdxArray images{{n, 28, 28}, std::vector<uint8_t>(static_cast<size_t>(n * 784))};
    for (auto& b : images.data) b = static_cast<uint8_t>(rng() & 0xff);
    IdxArray labels{{n}, std::vector<uint8_t>(static_cast<size_t>(n))};
    for (int64_t i = 0; i < n; ++i) labels.data[i] = static_cast<uint8_t>(i % 10);
    write_idx_gz(dir + "/" + prefix + "-images-idx3-ubyte.gz", images);
    write_idx_gz(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labels);
  }
}

Experiment build(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return build_experiment(load_spec_text(yaml, overrides));
}

std::string fashion_spec(const std::string& dir, const std::string& task_extra = "") {
  return "task: {type: fashion_mnist, data_dir: '" + dir + "', n_train: 200, n_test: 50" + task_extra + "}\n"
         "model: {type: mlp, width: 16}\noptimizer: {type: sgd, lr: 0.1}\n";
}

// For each column of `shuffled`, the column of `clean` it equals (-1 if none).
std::vector<int64_t> match_columns(const torch::Tensor& clean, const torch::Tensor& shuffled) {
  std::vector<int64_t> map;
  for (int64_t j = 0; j < shuffled.size(1); ++j) {
    auto distance = (clean - shuffled.select(1, j).unsqueeze(1)).abs().sum(0);
    auto best = distance.argmin().item<int64_t>();
    map.push_back(distance[best].item<double>() == 0.0 ? best : -1);
  }
  return map;
}

TEST(Idx, RoundTripsAndRejectsBadFilesWithTheFix) {
  TempDir dir;
  IdxArray a{{3, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}};
  write_idx_gz(dir / "a.gz", a);
  IdxArray b = read_idx(dir / "a.gz");
  EXPECT_EQ(b.dims, a.dims);
  EXPECT_EQ(b.data, a.data);

  try {
    read_idx(dir / "missing.gz");
    FAIL() << "no error for a missing file";
  } catch (const BadInput& e) {
    EXPECT_NE(std::string(e.what()).find("apt-get install dataset-fashion-mnist"), std::string::npos) << e.what();
  }
  // Truncated: the header declares 3 x 2 x 2 = 12 bytes, the file holds 11.
  write_idx_gz(dir / "short.gz", IdxArray{{3, 2, 2}, std::vector<uint8_t>(11)});
  EXPECT_THROW(read_idx(dir / "short.gz"), BadInput);
  testing::write_text(dir / "text.gz", "this is not an idx file");
  EXPECT_THROW(read_idx(dir / "text.gz"), BadInput);
}

TEST(FashionMnist, AMissingDataFolderIsExitTwoWithTheInstallHintAndNoRunDirectory) {
  TempDir dir;
  testing::write_text(dir / "spec.yaml", fashion_spec(dir / "nowhere"));
  auto result = testing::run_cli("run spec.yaml --out run --quiet --no-plot", dir.path);
  EXPECT_EQ(result.code, 2) << result.output;
  EXPECT_NE(result.output.find(dir / "nowhere/train-images-idx3-ubyte.gz"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("apt-get install dataset-fashion-mnist"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run"));
}

TEST(FashionMnist, ClassBalancedSubsetsAndExactLabelCorruptionFixedBySeed) {
  TempDir dir;
  write_fake_fashion_mnist(dir.path);
  Experiment clean = build(fashion_spec(dir.path));
  const auto& y = clean.task->train().targets;
  ASSERT_EQ(y.size(0), 200);
  EXPECT_TRUE(torch::equal(torch::bincount(y, {}, 10), torch::full({10}, 20, torch::kLong)));
  EXPECT_EQ(clean.task->train().inputs.sizes(), (std::vector<int64_t>{200, 784}));
  // standardize: the training subset has mean 0 and standard deviation 1.
  EXPECT_NEAR(clean.task->train().inputs.mean().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR(clean.task->train().inputs.std().item<double>(), 1.0, 1e-4);

  // label_noise 0.25: exactly 50 labels, each now a different class; the rest untouched.
  Experiment noisy = build(fashion_spec(dir.path, ", label_noise: 0.25"));
  EXPECT_TRUE(torch::equal(noisy.task->train().inputs, clean.task->train().inputs));
  EXPECT_EQ((noisy.task->train().targets != y).sum().item<int64_t>(), 50);
  Json facts;
  noisy.task->describe(facts);
  EXPECT_EQ(facts["labels_changed"], 50);
  // The test labels are never corrupted.
  EXPECT_TRUE(torch::equal(noisy.task->test().targets, clean.task->test().targets));
  // Fixed by the data seed: building again gives the same labels; another seed, other labels.
  EXPECT_TRUE(torch::equal(build(fashion_spec(dir.path, ", label_noise: 0.25")).task->train().targets,
                           noisy.task->train().targets));
  EXPECT_FALSE(torch::equal(build(fashion_spec(dir.path, ", label_noise: 0.25"), {"seed=1"}).task->train().targets,
                            build(fashion_spec(dir.path), {"seed=1"}).task->train().targets.clone().fill_(-1)));

  // random_labels 1.0: every label redrawn uniformly, so ~10% keep their class by chance.
  Experiment random = build(fashion_spec(dir.path, ", random_labels: 1.0"));
  random.task->describe(facts);
  EXPECT_EQ(facts["labels_redrawn"], 200);
  const int64_t kept = (random.task->train().targets == y).sum().item<int64_t>();
  EXPECT_EQ(facts["labels_changed"], 200 - kept);
  EXPECT_GT(kept, 5);   // Binomial(200, 0.1): mean 20, sd 4.2; 5 and 40 are > 3.5 sd away
  EXPECT_LT(kept, 40);
}

TEST(FashionMnist, PixelCorruptionsArePermutationsOrMatchedGaussians) {
  TempDir dir;
  write_fake_fashion_mnist(dir.path);
  auto clean = build(fashion_spec(dir.path)).task->train().inputs;
  // shuffled_pixels: one permutation of the columns, the same for every image (train and test).
  auto shuffled = build(fashion_spec(dir.path, ", input_corruption: shuffled_pixels")).task->train().inputs;
  auto map = match_columns(clean, shuffled);
  std::vector<int64_t> sorted = map;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t j = 0; j < 784; ++j) ASSERT_EQ(sorted[j], j) << "not a permutation of the pixels";
  int64_t moved = 0;
  for (int64_t j = 0; j < 784; ++j) moved += map[j] != j;
  EXPECT_GT(moved, 700);
  // random_pixels: each image is a permutation of itself, and the permutations differ.
  auto random = build(fashion_spec(dir.path, ", input_corruption: random_pixels")).task->train().inputs;
  EXPECT_TRUE(torch::equal(std::get<0>(random.sort(1)), std::get<0>(clean.sort(1))));
  EXPECT_EQ(match_columns(clean, random)[0], -1);  // no single column permutation explains it
  // gaussian: noise with the data's mean and variance, unrelated to the images.
  auto gaussian = build(fashion_spec(dir.path, ", input_corruption: gaussian")).task->train().inputs;
  EXPECT_NEAR(gaussian.mean().item<double>(), 0.0, 0.01);  // 156,800 draws: sd of the mean 0.0025
  EXPECT_NEAR(gaussian.std().item<double>(), 1.0, 0.01);
  EXPECT_LT(std::abs((gaussian * clean).mean().item<double>()), 0.01);
}

TEST(FashionMnist, ShuffledPixelsAreExactlyEquivalentToPermutingTheFirstLayer) {
  TempDir dir;
  write_fake_fashion_mnist(dir.path);
  const std::string spec = fashion_spec(dir.path) + "dtype: float64\n";
  Experiment clean = build(spec);
  Experiment shuffled = build(fashion_spec(dir.path, ", input_corruption: shuffled_pixels") + "dtype: float64\n");
  auto map = match_columns(clean.task->train().inputs, shuffled.task->train().inputs);
  // x_s[j] = x[map[j]], so W'[:, j] = W[:, map[j]] gives W' x_s = W x.
  auto index = torch::tensor(map, torch::kLong);
  auto params = shuffled.model->named_parameters();
  {
    torch::NoGradGuard no_grad;
    auto& w = params["layers.0.weight"];
    w.copy_(clean.model->named_parameters()["layers.0.weight"].index_select(1, index));
  }
  torch::NoGradGuard no_grad;
  auto a = clean.model->forward(clean.task->test().inputs);
  auto b = shuffled.model->forward(shuffled.task->test().inputs);
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-12);
  // And without the permutation the outputs differ (the check has teeth).
  auto c = clean.model->forward(shuffled.task->test().inputs);
  EXPECT_GT((a - c).abs().max().item<double>(), 1e-3);
}

TEST(MinNorm, SolvesKnownSystemsAndDropsTinySingularValues) {
  auto opts = torch::TensorOptions().dtype(torch::kDouble);
  // x + y = 2 (one equation, two unknowns): the minimum-norm solution is (1, 1).
  auto w = min_norm_solve(torch::tensor({{1.0, 1.0}}, opts), torch::tensor({{2.0}}, opts), 1e-10);
  EXPECT_NEAR(w[0][0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(w[1][0].item<double>(), 1.0, 1e-12);
  // Overdetermined, inconsistent: least squares of y = a x on x = (1, 2), y = (1, 3) is a = 7/5.
  w = min_norm_solve(torch::tensor({{1.0}, {2.0}}, opts), torch::tensor({{1.0}, {3.0}}, opts), 1e-10);
  EXPECT_NEAR(w[0][0].item<double>(), 1.4, 1e-12);
  // A direction with singular value 1e-12 relative is cut: its coefficient stays 0.
  MinNormFit info;
  w = min_norm_solve(torch::tensor({{1.0, 0.0}, {0.0, 1e-12}}, opts), torch::tensor({{1.0}, {1.0}}, opts), 1e-10, &info);
  EXPECT_EQ(info.rank, 1);
  EXPECT_NEAR(w[1][0].item<double>(), 0.0, 1e-15);
  w = min_norm_solve(torch::tensor({{1.0, 0.0}, {0.0, 1e-12}}, opts), torch::tensor({{1.0}, {1.0}}, opts), 1e-14, &info);
  EXPECT_EQ(info.rank, 2);
  EXPECT_NEAR(w[1][0].item<double>(), 1e12, 1e3);
}

TEST(MinNorm, GradientDescentFromZeroReachesTheClosedFormSolution) {
  // Over-parameterised random-features regression (40 features, 10 samples): gradient descent on
  // the squared loss from a zero readout stays in the row space and converges to the min-norm fit.
  const std::string spec =
      "dtype: float64\n"
      "task: {type: linear_regression, dim: 5, n_train: 10, n_test: 200, noise: 0.3}\n"
      "model: {type: random_features, width: 40, features: fourier, bandwidth: 1.0}\n"
      "optimizer: {type: sgd, lr: 1.5}\n"  // below 2 / lambda_max(2/n Phi^T Phi) ~ 1.96 for this draw
      "train: {steps: 20000, loss: mse, eval_every: 20000}\n";
  TempDir dir;
  testing::write_text(dir / "gd.yaml", spec);
  auto result = testing::run_cli("run " + (dir / "gd.yaml") + " --out " + (dir / "run") + " --quiet --no-plot");
  ASSERT_EQ(result.code, 0) << result.output;
  Json summary = Json::parse(testing::slurp(dir / "run/summary.json"));
  EXPECT_LT(summary["final"]["train/loss"].get<double>(), 1e-10);
  // The same spec fitted in closed form (same data, same features): the same predictions.
  auto closed = testing::run_cli("run " + (dir / "gd.yaml") + " train.fit=min_norm --out " + (dir / "closed") +
                                 " --quiet --no-plot");
  ASSERT_EQ(closed.code, 0) << closed.output;
  Json closed_summary = Json::parse(testing::slurp(dir / "closed/summary.json"));
  const double gd = summary["final"]["test/loss"].get<double>();
  const double cf = closed_summary["final"]["test/loss"].get<double>();
  EXPECT_NEAR(gd, cf, 1e-6 * cf) << "gradient descent " << gd << " vs closed form " << cf;
}

TEST(LinearRegression, MinNormRiskMatchesTheClosedFormOverSeeds) {
  // d = 20, sigma = 0.5: E|beta_hat - beta|^2 = 0.5 + 0.25 * 10/9 at n = 10 and 0.25 * 20/9 at n = 30.
  // 200 seeds each; the mean must sit within 4 standard errors of the formula (a correct solver
  // fails this with probability ~1e-4) and the standard error must be < 5% of it (the test has power).
  for (int64_t n : {10, 30}) {
    const double expected = *min_norm_expected_excess_risk(n, 20, 0.5);
    std::vector<double> risks;
    for (int seed = 0; seed < 200; ++seed) {
      Experiment ex = build("dtype: float64\ntask: {type: linear_regression, dim: 20, n_train: " + std::to_string(n) +
                                ", n_test: 2000, noise: 0.5}\nmodel: {type: linear}\noptimizer: {type: sgd, lr: 0.1}\n"
                                "train: {fit: min_norm, loss: mse}\n",
                            {"seed=" + std::to_string(seed)});
      fit_min_norm(*ex.model, ex.task->train(), true, 1e-12);
      torch::NoGradGuard no_grad;
      const auto& test = ex.task->test();
      risks.push_back((ex.model->forward(test.inputs).view(-1) - test.targets).pow(2).mean().item<double>());
    }
    double mean = 0, var = 0;
    for (double r : risks) mean += r / risks.size();
    for (double r : risks) var += (r - mean) * (r - mean) / (risks.size() - 1);
    const double se = std::sqrt(var / risks.size());
    EXPECT_LT(se, 0.05 * expected) << "n=" << n;
    EXPECT_NEAR(mean, expected, 4 * se) << "n=" << n << " expected " << expected;
  }
  EXPECT_FALSE(min_norm_expected_excess_risk(100, 100, 0.5).has_value());
  EXPECT_NEAR(*min_norm_expected_excess_risk(200, 100, 0.5), 0.25 * 100 / 99, 1e-12);
}

TEST(Spec, ClosedFormAndRegressionRulesAreCheckedUpFront) {
  auto problems = [](const std::string& yaml) {
    try {
      load_spec_text(yaml);
    } catch (const SpecError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(problems("task: {type: linear_regression}\nmodel: {type: mlp}\noptimizer: {type: sgd, lr: 0.1}\n"
                     "train: {fit: min_norm, loss: mse}\n").find("train.fit"), std::string::npos);
  EXPECT_NE(problems("task: {type: linear_regression}\nmodel: {type: linear}\noptimizer: {type: sgd, lr: 0.1}\n")
                .find("train.loss"), std::string::npos);
  EXPECT_NE(problems("task: {type: fashion_mnist, label_noise: 0.1, random_labels: 0.1}\nmodel: {type: mlp}\n"
                     "optimizer: {type: sgd, lr: 0.1}\n").find("random_labels"), std::string::npos);
  EXPECT_NE(problems("task: {type: modular_arithmetic}\nmodel: {type: random_features}\noptimizer: {type: sgd, lr: 0.1}\n")
                .find("model.type"), std::string::npos);
}

TEST(Expression, ArithmeticOverSummaryKeys) {
  auto lookup = [](const std::string& key) -> double {
    if (key == "data.n_train") return 1000;
    if (key == "data.num_classes") return 10;
    throw std::invalid_argument("unknown " + key);
  };
  EXPECT_DOUBLE_EQ(evaluate_expression("data.n_train", lookup), 1000);
  EXPECT_DOUBLE_EQ(evaluate_expression("data.n_train * data.num_classes / (784 + 1 + 10)", lookup), 10000.0 / 795);
  EXPECT_DOUBLE_EQ(evaluate_expression("-2 + 3 * (4 - 1)", lookup), 7);
  EXPECT_THROW(evaluate_expression("data.n_train *", lookup), std::invalid_argument);
  EXPECT_THROW(evaluate_expression("(1 + 2", lookup), std::invalid_argument);
  EXPECT_THROW(evaluate_expression("task.nope", lookup), std::invalid_argument);
}

std::vector<SweepRow> curve(const std::vector<std::pair<double, double>>& xy, const std::string& x = "model.width") {
  std::vector<SweepRow> rows;
  for (auto [xv, yv] : xy) {
    std::ostringstream s;
    s << xv;
    rows.push_back({{{x, s.str()}}, {{"final", {{"test/loss", yv}}}, {"data", {{"n_train", 100}}}}});
  }
  return rows;
}

TEST(DoubleDescentDetector, FindsTheInteriorPeakAtTheThreshold) {
  DoubleDescentOptions o;
  o.x = "model.width";
  o.threshold = "data.n_train";
  auto detector = find_entry(sweep_detector_registry(), "double_descent")->build(o);
  EXPECT_THROW(detector->check({"seed"}), BadInput);
  // A peak of 10 at width 100 (= n), 1.0 at 25 and 0.5 at 400.
  Json r = detector->detect(curve({{10, 1.2}, {25, 1.0}, {50, 2.0}, {100, 10.0}, {200, 2.0}, {400, 0.5}, {800, 0.4}}));
  EXPECT_TRUE(r["detected"].get<bool>()) << r.dump();
  EXPECT_EQ(r["peak"]["x"], 100.0);
  EXPECT_EQ(r["left"]["x"], 25.0);
  EXPECT_EQ(r["right"]["x"], 400.0);
  EXPECT_DOUBLE_EQ(r["ratio_left"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(r["ratio_right"].get<double>(), 20.0);
  EXPECT_TRUE(r["peak_at_threshold"].get<bool>());
  // The same peak away from the threshold is not double descent at the threshold.
  Json off = detector->detect(curve({{10, 1.2}, {25, 1.0}, {50, 10.0}, {100, 2.0}, {200, 2.0}, {400, 0.5}, {800, 0.4}}));
  EXPECT_FALSE(off["peak_at_threshold"].get<bool>());
  EXPECT_FALSE(off["detected"].get<bool>());
  // Monotone decrease: no interior peak high enough.
  Json monotone = detector->detect(curve({{10, 5}, {25, 4}, {50, 3}, {100, 2}, {200, 1.5}, {400, 1}}));
  EXPECT_FALSE(monotone["detected"].get<bool>());
}

TEST(RandomLabelsDetector, FitsEverywhereSlowerWithMoreNoiseAndChanceAtFullNoise) {
  RandomLabelsOptions o;
  o.x = "task.random_labels";
  auto detector = find_entry(sweep_detector_registry(), "random_labels")->build(o);
  auto rows = [](std::vector<std::tuple<double, double, double, Json>> points) {
    std::vector<SweepRow> out;
    for (auto [p, train, test, steps] : points) {
      std::ostringstream s;
      s << p;
      out.push_back({{{"task.random_labels", s.str()}},
                     {{"final", {{"train/acc", train}, {"test/acc", test}}},
                      {"stop", {{"step", steps}}},
                      {"data", {{"num_classes", 10}}}}});
    }
    return out;
  };
  Json good = detector->detect(rows({{0.0, 1.0, 0.82, 200}, {0.5, 1.0, 0.5, 400}, {0.8, 1.0, 0.3, 380}, {1.0, 1.0, 0.1, 600}}));
  EXPECT_DOUBLE_EQ(good["chance"].get<double>(), 0.1);
  EXPECT_TRUE(good["all_fitted"].get<bool>());
  EXPECT_TRUE(good["steps_non_decreasing"].get<bool>()) << "one 5% inversion is allowed";
  EXPECT_TRUE(good["test_at_chance"].get<bool>());
  EXPECT_TRUE(good["detected"].get<bool>());
  // A run that never fitted (no stop step, train acc 0.7) fails the detection.
  Json unfit = detector->detect(rows({{0.0, 1.0, 0.82, 200}, {1.0, 0.7, 0.1, nullptr}}));
  EXPECT_FALSE(unfit["all_fitted"].get<bool>());
  EXPECT_FALSE(unfit["detected"].get<bool>());
  // Test accuracy far above chance at p = 1 is not the signature.
  Json leak = detector->detect(rows({{0.0, 1.0, 0.82, 200}, {1.0, 1.0, 0.3, 600}}));
  EXPECT_FALSE(leak["test_at_chance"].get<bool>());
}

// End to end on the real data (Debian's dataset-fashion-mnist, installed by scripts/setup.sh).
bool have_fashion_mnist() {
  return std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") ||
         std::getenv("PHENOM_FASHION_MNIST");
}

// Runs `phenom sweep SPEC --jobs 2` in `dir` and returns the sweep's summary.json.
Json run_sweep(const TempDir& dir, const std::string& spec, const std::string& name) {
  auto result = testing::run_cli("sweep " + spec + " --jobs 2 --quiet", dir.path);
  EXPECT_EQ(result.code, 0) << result.output;
  const std::string sweep = testing::sweep_dir_in(dir / ("runs/" + name));
  if (sweep.empty()) {
    ADD_FAILURE() << "no sweep directory under runs/" << name;
    return Json::object();
  }
  return Json::parse(testing::slurp(sweep + "/summary.json"));
}

TEST(FashionMnistData, RealFilesHaveTheDocumentedShape) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)";
  IdxArray labels = read_idx("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
  ASSERT_EQ(labels.dims, std::vector<int64_t>{60000});
  std::vector<int> counts(10);
  for (auto l : labels.data) counts.at(l)++;
  for (int c : counts) EXPECT_EQ(c, 6000);
}

TEST(FashionMnistData, RandomFeaturesDoubleDescentPeaksAtTheInterpolationThreshold) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // n = 100 images, N random ReLU features around N = n, min-norm readout, two seeds.
  TempDir dir;
  testing::write_text(dir / "rf.yaml",
                      "name: rf-small\ntask: {type: fashion_mnist, n_train: 100, n_test: 1000}\n"
                      "model: {type: random_features, width: 100, features: relu}\noptimizer: {type: sgd, lr: 0.1}\n"
                      "train: {fit: min_norm, loss: mse}\n"
                      "sweep: {model.width: [20, 25, 50, 80, 100, 125, 200, 400, 800], seed: [0, 1]}\n"
                      "sweep_detectors:\n"
                      "  - {type: double_descent, x: model.width, y: final.test/loss, threshold: data.n_train, min_ratio: 3}\n"
                      "  - {type: double_descent, x: model.width, y: final.fit/coef_norm, threshold: data.n_train}\n"
                      "  - {type: trend, x: model.width, y: final.train/loss}\n");
  Json summary = run_sweep(dir, "rf.yaml", "rf-small");
  const Json& loss = summary["double_descent"];
  EXPECT_TRUE(loss["detected"].get<bool>()) << loss.dump();
  EXPECT_EQ(loss["peak"]["x"], 100.0);
  EXPECT_TRUE(summary["double_descent.1"]["peak_at_threshold"].get<bool>()) << summary["double_descent.1"].dump();
  // From the threshold on every run interpolates (zero training loss); below it none does.
  for (const auto& p : summary["trend"]["points"]) {
    if (p["x"].get<double>() >= 100) EXPECT_LT(p["max"].get<double>(), 1e-8) << p.dump();
    else EXPECT_GT(p["min"].get<double>(), 1e-4) << p.dump();
  }
}

TEST(FashionMnistData, RandomLabelsAreFittedButTestAccuracyIsChance) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  testing::write_text(dir / "rl.yaml",
                      "name: rl-small\ntask: {type: fashion_mnist, n_train: 200, n_test: 2000}\n"
                      "model: {type: mlp, width: 256}\noptimizer: {type: adam, lr: 1.0e-3}\n"
                      "train: {steps: 2000, batch_size: 50, loss: cross_entropy, eval_every: 5, stop_train_acc: 1.0}\n"
                      // train/acc every 5 steps for the stop condition; test only at step 0 and on the
                      // last row (the stop row runs every probe), which the detector reads
                      "probes: [{type: loss_accuracy, split: train}, {type: loss_accuracy, split: test, every: 2000}]\n"
                      "sweep: {task.random_labels: [0.0, 1.0]}\n"
                      "sweep_detectors: [{type: random_labels, x: task.random_labels, chance_band: 0.04}]\n");
  Json summary = run_sweep(dir, "rl.yaml", "rl-small");
  const Json& r = summary["random_labels"];
  EXPECT_TRUE(r["all_fitted"].get<bool>()) << r.dump();
  EXPECT_TRUE(r["test_at_chance"].get<bool>()) << r.dump();
  EXPECT_GT(r["points"][1]["steps_to_fit"].get<double>(), r["points"][0]["steps_to_fit"].get<double>()) << r.dump();
  EXPECT_GT(r["points"][0]["test_acc"]["mean"].get<double>(), 0.6) << r.dump();
  EXPECT_TRUE(r["detected"].get<bool>()) << r.dump();
}

}  // namespace
}  // namespace phenom
