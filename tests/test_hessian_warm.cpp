// Warm-started Lanczos: the next measurement starts from the previous one's top vectors and two
// guards, sees an eigenvalue overtake another, costs fewer products, and resumes exactly.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "cli_helpers.h"
#include "probes/hessian_math.h"

namespace phenom::testing {
namespace {

// Q diag(values) Q^T for a fixed random rotation Q of size values.size().
torch::Tensor rotated(const std::vector<double>& values) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(3);
  const int64_t n = static_cast<int64_t>(values.size());
  const torch::Tensor Q = std::get<0>(
      torch::linalg_qr(torch::randn({n, n}, generator, torch::TensorOptions().dtype(torch::kDouble))));
  return Q.mm(torch::diag(torch::tensor(values, torch::kDouble))).mm(Q.t());
}

std::vector<double> spectrum(double first, double second) {
  std::vector<double> values = {first, second, 9.0};
  for (int i = 0; i < 57; ++i) values.push_back(5.0 * i / 57.0);
  return values;
}

TEST(HessianWarmStart, GuardsSeeACrossingAndASlowChangeCostsFewerProducts) {
  const torch::Tensor before = rotated(spectrum(10.0, 9.9));
  auto generator = at::make_generator<at::CPUGeneratorImpl>(7);
  auto random = [&] { return torch::randn({60}, generator, torch::TensorOptions().dtype(torch::kDouble)); };
  const auto product = [](const torch::Tensor& A) { return [A](const torch::Tensor& v) { return A.mv(v); }; };
  const TopEigen first = lanczos_top(product(before), random(), 1, 60, 1e-6, 0, 3);
  ASSERT_EQ(first.tracked.size(0), 3);
  EXPECT_NEAR(first.values[0], 10.0, 1e-5);
  const auto start = [&](const torch::Tensor& previous) {
    const torch::Tensor sum = previous.sum(0), r = random();
    return sum / sum.norm() + 0.1 * r / r.norm();
  };
  // The second eigenvalue overtakes the first. From the tracked vectors (top and guards) the new
  // top is found; from the old top vector alone Lanczos meets its tolerance near the old value.
  const torch::Tensor crossed = rotated(spectrum(10.0, 10.2));
  const TopEigen guarded = lanczos_top(product(crossed), start(first.tracked), 1, 60, 1e-3, 4, 3);
  EXPECT_NEAR(guarded.values[0], 10.2, 1e-3 * 10.2);
  const TopEigen alone = lanczos_top(product(crossed), start(first.tracked.slice(0, 0, 1)), 1, 60, 1e-3, 0, 1);
  EXPECT_LT(alone.values[0], 10.1) << "the failure the guards are there for no longer shows on this case";
  // A small change of the matrix: the warm start converges in fewer products than a cold one.
  const torch::Tensor drifted = rotated(spectrum(10.05, 9.9));
  const TopEigen cold = lanczos_top(product(drifted), random(), 1, 60, 1e-6, 0, 3);
  const TopEigen warm = lanczos_top(product(drifted), start(first.tracked), 1, 60, 1e-6, 4, 3);
  EXPECT_NEAR(warm.values[0], 10.05, 1e-5);
  EXPECT_NEAR(cold.values[0], 10.05, 1e-5);
  EXPECT_LT(warm.iterations, cold.iterations);
}

std::vector<nlohmann::json> hessian_rows(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    nlohmann::json row = nlohmann::json::parse(line);
    if (row.contains("hessian/lambda_1")) rows.push_back(row);
  }
  return rows;
}

// A run with warm_start: stopped between checkpoints and resumed, it writes the same bytes as an
// uninterrupted one (the vectors are in the checkpoint); its values agree with cold starts within
// the tolerance, at fewer products.
TEST(HessianWarmStart, ARunResumesExactlyAndAgreesWithColdStarts) {
  TempDir tmp;
  const std::string spec = "name: w\ndevice: cpu\ntask: {type: modular_arithmetic, modulus: 11, train_fraction: 0.5}\n"
                           "model: {type: mlp, width: 16, activation: tanh}\noptimizer: {type: sgd, lr: 0.5}\n"
                           "train: {steps: 60, loss: half_sse, eval_every: 5, checkpoint_every: 20}\n";
  const std::string probe = "probes: [{type: hessian, every: 5, top_k: 2, tolerance: 1.0e-4";
  write_text(tmp / "warm.yaml", spec + probe + ", warm_start: true}]\n");
  write_text(tmp / "cold.yaml", spec + probe + "}]\n");
  ASSERT_EQ(run_cli("run warm.yaml --out whole --threads 1 --no-plot --quiet", tmp.path).code, 0);
  ASSERT_EQ(run_cli("run cold.yaml --out cold --threads 1 --no-plot --quiet", tmp.path).code, 0);
  EXPECT_EQ(stopped_and_resumed_metrics(tmp, "warm.yaml", "parts", 33), slurp(tmp / "whole/metrics.jsonl"));

  const auto warm = hessian_rows(tmp / "whole/metrics.jsonl"), cold = hessian_rows(tmp / "cold/metrics.jsonl");
  ASSERT_EQ(warm.size(), 13u);
  ASSERT_EQ(cold.size(), warm.size());
  double warm_products = 0, cold_products = 0;
  for (size_t i = 0; i < warm.size(); ++i) {
    for (const char* key : {"hessian/lambda_1", "hessian/lambda_2"}) {
      const double c = cold[i][key].get<double>();
      EXPECT_NEAR(warm[i][key].get<double>(), c, 2e-4 * std::abs(c)) << key << " at step " << warm[i]["step"];
    }
    EXPECT_EQ(warm[i]["hessian/converged"], 1.0);
    if (i > 0) warm_products += warm[i]["hessian/iterations"].get<double>();
    if (i > 0) cold_products += cold[i]["hessian/iterations"].get<double>();
  }
  EXPECT_LT(warm_products, cold_products);
}

TEST(HessianWarmStart, PowerIterationIsRefused) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", "task: {type: modular_arithmetic, modulus: 5}\nmodel: {type: mlp, width: 4}\n"
                                "optimizer: {type: sgd, lr: 0.1}\ntrain: {steps: 2}\n"
                                "probes:\n  - {type: hessian, method: power, warm_start: true}\n");
  CliResult r = run_cli("run spec.yaml --out out", tmp.path);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("spec.yaml:6:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("warm_start needs method: lanczos"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "out"));
}

}  // namespace
}  // namespace phenom::testing
