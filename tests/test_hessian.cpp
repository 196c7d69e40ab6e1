// Hessian instruments against the explicit Hessian of small registered models: Hessian-vector
// products through phenom's own ops (double backward) against finite differences, Lanczos against
// the full spectrum, Hutchinson against the exact trace, the probe's threshold 2/lr.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/metrics.h"
#include "models/model.h"
#include "probes/hessian_math.h"
#include "probes/probe.h"
#include "spec/spec.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom {
namespace {

struct Objective {
  Experiment ex;
  std::string loss_name;
  std::vector<torch::Tensor> params;
  torch::Tensor loss() {
    const Batch& train = ex.task->train();
    return ex.task->loss(loss_name, ex.model->forward(train.inputs), train);
  }
};

Objective objective(const std::string& task, const std::string& model, const std::string& loss = "mse") {
  Objective o{build_experiment(load_spec_text("dtype: float64\ndevice: cpu\ntask: " + task + "\nmodel: " + model +
                                              "\noptimizer: {type: sgd, lr: 0.1}\ntrain: {steps: 1, loss: " + loss + "}\n")),
              loss, {}};
  for (auto& p : o.ex.model->parameters()) o.params.push_back(p);
  return o;
}

// The Hessian row by row: the gradient of each gradient component.
torch::Tensor explicit_hessian(const torch::Tensor& loss, const std::vector<torch::Tensor>& params) {
  auto grads = torch::autograd::grad({loss}, params, {}, true, true, true);
  std::vector<torch::Tensor> flat;
  for (auto& g : grads) flat.push_back(g.reshape(-1));
  const torch::Tensor g = torch::cat(flat);
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < g.numel(); ++i) {
    auto row = torch::autograd::grad({g[i]}, params, {}, true, false, true);
    std::vector<torch::Tensor> pieces;
    for (size_t j = 0; j < row.size(); ++j) {
      pieces.push_back(row[j].defined() ? row[j].reshape(-1) : torch::zeros({params[j].numel()}, torch::kDouble));
    }
    rows.push_back(torch::cat(pieces));
  }
  return torch::stack(rows).to(torch::kDouble);
}

const char* kModular = "{type: modular_arithmetic, modulus: 5, train_fraction: 0.6}";

// Tiny instances of the registered models (each <= 300 parameters).
std::vector<std::pair<std::string, std::string>> tiny_models() {
  return {{kModular, "{type: mlp, width: 6, activation: tanh}"},
          {kModular, "{type: mlp, width: 6, activation: quadratic, bias: false}"},
          {kModular, "{type: transformer, n_layers: 1, d_model: 4, n_heads: 1, d_head: 4, d_mlp: 4}"},
          {"{type: linear_regression, dim: 6, n_train: 20, n_test: 10}", "{type: linear}"}};
}

TEST(Hessian, ProductsMatchFiniteDifferencesOnEveryModelKind) {
  for (const auto& [task, model] : tiny_models()) {
    Objective o = objective(task, model);
    const HessianOperator H = HessianOperator::of(o.loss(), o.params);
    ASSERT_LE(H.dim(), 300) << model;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(3);
    const torch::Tensor v = torch::randn({H.dim()}, generator, torch::TensorOptions().dtype(torch::kDouble));
    const torch::Tensor hv = H.apply(v);
    // Central difference of the gradient along v, in float64.
    const double eps = 1e-5;
    auto shift = [&](double t) {
      torch::NoGradGuard no_grad;
      int64_t offset = 0;
      for (auto& p : o.params) {
        p.add_(v.slice(0, offset, offset + p.numel()).view(p.sizes()) * t);
        offset += p.numel();
      }
    };
    auto gradient_at = [&](double t) {
      shift(t);
      const torch::Tensor g = HessianOperator::of(o.loss(), o.params).gradient();
      shift(-t);
      return g;
    };
    const torch::Tensor fd = (gradient_at(eps) - gradient_at(-eps)) / (2 * eps);
    EXPECT_LE((hv - fd).norm().item<double>(), 1e-3 * hv.norm().item<double>()) << model;
  }
}

TEST(Hessian, LanczosAndHutchinsonMatchTheExplicitHessian) {
  for (const auto& [task, model] : tiny_models()) {
    Objective o = objective(task, model);
    const torch::Tensor loss = o.loss();
    const torch::Tensor full = explicit_hessian(loss, o.params);
    ASSERT_TRUE(torch::allclose(full, full.t(), 1e-8, 1e-10)) << model;
    const torch::Tensor exact = std::get<0>(torch::linalg_eigh(full, "L")).flip(0);  // descending
    const HessianOperator H = HessianOperator::of(loss, o.params);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
    const torch::Tensor start = torch::randn({H.dim()}, generator, torch::TensorOptions().dtype(torch::kDouble));
    const TopEigen top = lanczos_top([&](const torch::Tensor& v) { return H.apply(v); }, start, 3, 80, 1e-6);
    ASSERT_EQ(top.values.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      const double e = exact[i].item<double>();
      EXPECT_NEAR(top.values[i], e, 0.01 * std::abs(exact[0].item<double>())) << model << " eigenvalue " << i;
      // The Ritz vector is an eigenvector: H u = lambda u up to the reported residual.
      const torch::Tensor u = top.vectors[i];
      EXPECT_NEAR(u.norm().item<double>(), 1.0, 1e-8);
      EXPECT_LE((full.mv(u) - top.values[i] * u).norm().item<double>(), top.residuals[i] + 1e-6) << model;
    }
    EXPECT_TRUE(top.converged) << model;
    const double trace = full.trace().item<double>();
    const TraceEstimate t = hutchinson_trace([&](const torch::Tensor& v) { return H.apply(v); }, H.dim(), 3000, generator);
    // 5% of the spread of z^T H z (its standard deviation is sqrt(2 sum_{i != j} H_ij^2)).
    const double spread = std::sqrt(2 * (full.pow(2).sum() - full.diag().pow(2).sum()).item<double>());
    EXPECT_NEAR(t.mean, trace, std::max(0.05 * std::abs(trace), 5 * spread / std::sqrt(3000.0))) << model;
    EXPECT_NEAR(t.standard_error, spread / std::sqrt(3000.0), 0.2 * spread / std::sqrt(3000.0) + 1e-12) << model;
  }
}

// half_sse is C/2 times mse, so its Hessian is too.
TEST(Hessian, HalfSumOfSquaresScalesTheMeanSquaredError) {
  Objective mse = objective(kModular, "{type: mlp, width: 6, activation: tanh}");
  Objective half = objective(kModular, "{type: mlp, width: 6, activation: tanh}", "half_sse");
  EXPECT_NEAR(half.loss().item<double>(), mse.loss().item<double>() * 5 / 2.0, 1e-12);  // 5 classes
  const HessianOperator a = HessianOperator::of(mse.loss(), mse.params), b = HessianOperator::of(half.loss(), half.params);
  const torch::Tensor v = torch::ones({a.dim()}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(b.apply(v), a.apply(v) * 2.5, 1e-10, 1e-12));
}

}  // namespace
}  // namespace phenom
