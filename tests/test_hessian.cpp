// Hessian instruments against the explicit Hessian of small registered models: Hessian-vector
// products through phenom's own ops (double backward) against finite differences, Lanczos against
// the full spectrum, Hutchinson against the exact trace, the probe's threshold 2/lr.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/build_context.h"
#include "core/metrics.h"
#include "spec/component.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "probes/hessian_math.h"
#include "probes/probe.h"
#include "spec/spec.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom {
namespace {

struct Objective {
  Experiment ex;
  Loss loss_name;
  std::vector<torch::Tensor> params;
  torch::Tensor loss() {
    const Batch& train = ex.task->train();
    return ex.task->loss(loss_name, ex.model->forward(train.inputs), train);
  }
};

Objective objective(const std::string& task, const std::string& model, const std::string& loss = "mse") {
  Objective o{build_experiment(load_spec_text("dtype: float64\ndevice: cpu\ntask: " + task + "\nmodel: " + model +
                                              "\noptimizer: {type: sgd, lr: 0.1}\ntrain: {steps: 1, loss: " + loss + "}\n")),
              Loss::kMse, {}};
  EXPECT_TRUE(parse_word(loss, o.loss_name)) << loss;
  for (auto& p : o.ex.model->parameters()) if (p.requires_grad()) o.params.push_back(p);  // frozen features out
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
          {"{type: linear_regression, dim: 6, n_train: 20, n_test: 10}", "{type: linear}"},
          {"{type: linear_regression, dim: 6, n_train: 20, n_test: 10}", "{type: random_features, width: 12}"}};
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


TEST(Hessian, PowerIterationWithDeflationFindsTheLargestMagnitudes) {
  for (const auto& [task, model] : tiny_models()) {
    Objective o = objective(task, model);
    const torch::Tensor loss = o.loss();
    const torch::Tensor full = explicit_hessian(loss, o.params);
    torch::Tensor exact = std::get<0>(torch::linalg_eigh(full, "L"));
    exact = exact.index({exact.abs().argsort(0, /*descending=*/true)});  // by magnitude
    const HessianOperator H = HessianOperator::of(loss, o.params);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
    const torch::Tensor start = torch::randn({H.dim()}, generator, torch::TensorOptions().dtype(torch::kDouble));
    const TopEigen top = power_top([&](const torch::Tensor& v) { return H.apply(v); }, start, 2, 3000, 1e-9);
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(top.values[i], exact[i].item<double>(), 0.01 * std::abs(exact[0].item<double>())) << model << " " << i;
    }
    EXPECT_NEAR(top.vectors[0].dot(top.vectors[1]).item<double>(), 0.0, 1e-6) << model;
  }
}

// Each vector's quadrature is a probability measure whose first moments are those of z's
// Rayleigh quotients (exact for 2 or more steps); averaged over vectors they estimate the spectrum's.
TEST(Hessian, SpectralDensityIntegratesToOneWithTheRightMoments) {
  Objective o = objective(kModular, "{type: mlp, width: 6, activation: tanh}");
  const torch::Tensor loss = o.loss();
  const torch::Tensor full = explicit_hessian(loss, o.params);
  const HessianOperator H = HessianOperator::of(loss, o.params);
  const int64_t n = H.dim();
  auto hvp = [&](const torch::Tensor& v) { return H.apply(v); };
  auto generator = at::make_generator<at::CPUGeneratorImpl>(7), again = at::make_generator<at::CPUGeneratorImpl>(7);
  const int64_t vectors = 200;
  const SpectralDensity d = slq_density(hvp, n, 12, vectors, generator);
  ASSERT_EQ(d.weights.size(0), vectors);
  EXPECT_LT((d.weights.sum(1) - 1).abs().max().item<double>(), 1e-10);
  EXPECT_GE(d.weights.min().item<double>(), 0.0);
  for (int64_t i = 0; i < 5; ++i) {  // the same Rademacher vectors, drawn again
    const torch::Tensor z = torch::randint(0, 2, {n}, again, torch::TensorOptions().dtype(torch::kDouble)) * 2 - 1;
    const double first = (d.weights[i] * d.nodes[i]).sum().item<double>();
    const double second = (d.weights[i] * d.nodes[i].square()).sum().item<double>();
    EXPECT_NEAR(first, z.dot(full.mv(z)).item<double>() / n, 1e-8 * full.abs().max().item<double>());
    EXPECT_NEAR(second, full.mv(z).square().sum().item<double>() / n, 1e-8 * full.square().sum().item<double>());
  }
  const double mean = (d.weights * d.nodes).sum().item<double>() / vectors;
  const double exact = full.trace().item<double>() / n;
  const double spread = std::sqrt(2 * (full.pow(2).sum() - full.diag().pow(2).sum()).item<double>()) / n;
  EXPECT_NEAR(mean, exact, 5 * spread / std::sqrt(static_cast<double>(vectors)));
  // The extreme nodes bracket the spectrum and the top one converges to lambda_max.
  const torch::Tensor eigenvalues = std::get<0>(torch::linalg_eigh(full, "L"));
  EXPECT_NEAR(d.nodes.max().item<double>(), eigenvalues[-1].item<double>(), 1e-6 * eigenvalues.abs().max().item<double>());
}

TEST(Hessian, ALossLinearInEveryParameterHasNoCurvature) {
  const torch::Tensor w = torch::randn({4}, torch::kDouble).requires_grad_(true);
  EXPECT_FALSE(HessianOperator::of((w * 3).sum(), {w}).curved());
  EXPECT_TRUE(HessianOperator::of(w.square().sum(), {w}).curved());
}

// Keskar's box sharpness against brute force: a least-squares loss is convex, so its maximum over
// the box is at a corner; with 7 parameters all 128 corners can be tried. The 1-D slice along the
// top eigenvector of a quadratic is a parabola of curvature s^2 lambda_max.
TEST(Flatness, BoxSharpnessMatchesTheBestCornerAndSlicesAreParabolas) {
  const std::string yaml = "dtype: float64\ndevice: cpu\ntask: {type: linear_regression, dim: 6, n_train: 20, n_test: 10}\n"
                           "model: {type: linear}\noptimizer: {type: sgd, lr: 0.1}\ntrain: {steps: 1, loss: mse}\n"
                           "probes: [{type: flatness, epsilon: 0.01, ascent_steps: 40, slice_points: 5, eigen_radius: 1}]\n";
  const Spec spec = load_spec_text(yaml);
  Experiment ex = build_experiment(spec);
  BuildContext context(spec, torch::kCPU);
  auto probe = find_entry(probe_registry(), "flatness")->build(*spec.probes.back().options, context);
  ProbeContext c{*ex.model, *ex.task, spec, 0, 0.1};
  MetricRow row;
  std::vector<torch::Tensor> params = ex.model->parameters();
  std::vector<torch::Tensor> before;
  for (auto& p : params) before.push_back(p.detach().clone());
  probe->measure(c, row);
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], before[i])) << "parameters restored";
  const Batch& train = ex.task->train();
  auto loss = [&] { return ex.task->loss(Loss::kMse, ex.model->forward(train.inputs), train).item<double>(); };
  torch::NoGradGuard no_grad;
  const double base = loss();
  int64_t dim = 0;
  for (auto& p : params) dim += p.numel();
  ASSERT_LE(dim, 10);
  double best = base;
  for (int64_t corner = 0; corner < (int64_t{1} << dim); ++corner) {
    int64_t bit = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      auto flat = params[i].view(-1);
      auto start = before[i].view(-1);
      for (int64_t j = 0; j < flat.numel(); ++j, ++bit) {
        const double w = start[j].item<double>(), sign = (corner >> bit) & 1 ? 1.0 : -1.0;
        flat[j] = w + sign * 0.01 * (std::abs(w) + 1);
      }
    }
    best = std::max(best, loss());
  }
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_(before[i]);
  const double exact = 100 * (best - base) / (1 + base);
  const double found = *row.find("flatness/eps_sharpness");
  EXPECT_GT(exact, 0.0);
  EXPECT_LE(found, exact * (1 + 1e-9));
  EXPECT_GE(found, 0.99 * exact);

  Probe::Json out;
  probe->summarize(c, out);
  const auto& slice = out["slice"];
  ASSERT_EQ(slice["alpha"].size(), 5u);
  EXPECT_NEAR(slice["random"][2].get<double>(), base, 1e-12);
  EXPECT_NEAR(slice["top_eigenvector"][2].get<double>(), base, 1e-12);
  // Second difference of the top-eigenvector slice: s^2 lambda h^2 with s^2 = ||w||^2, h = 0.5.
  double norm = 0;
  for (auto& w : before) norm += w.square().sum().item<double>();
  const auto& top = slice["top_eigenvector"];
  const double second = top[3].get<double>() - 2 * top[2].get<double>() + top[1].get<double>();
  EXPECT_NEAR(second, norm * out["slice_top_eigenvalue"].get<double>() * 0.25, 1e-6 * std::abs(second));
}

TEST(Flatness, MoreExamplesThanTheSetIsRefusedBeforeTheRunStarts) {
  for (const std::string probe : {"{type: hessian, examples: 5000}", "{type: flatness, examples: 5000}"}) {
    const Spec spec = load_spec_text("device: cpu\ntask: {type: linear_regression, dim: 6, n_train: 20, n_test: 10}\n"
                                     "model: {type: linear}\noptimizer: {type: sgd, lr: 0.1}\ntrain: {steps: 1, loss: mse}\nprobes: [" + probe + "]\n");
    Experiment ex = build_experiment(spec);
    BuildContext context(spec, torch::kCPU);
    auto p = find_entry(probe_registry(), spec.probes.back().type)->build(*spec.probes.back().options, context);
    ProbeContext c{*ex.model, *ex.task, spec, 0, 0.1};
    MetricRow row;
    try {
      p->measure(c, row);
      ADD_FAILURE() << probe << " accepted 5000 examples of a 20-example set";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find("exceeds the 20 examples of the set 'train'"), std::string::npos) << e.what();
    }
  }
}

// Cohen et al. (2022): for Adam the quantity at the edge is lambda_max(P^-1 H), P = (1 - b1^t)
// (sqrt(v_hat) + eps); here v is accumulated by hand alongside five real Adam steps on a quadratic.
TEST(Hessian, PreconditionedSharpnessMatchesItsDefinitionOnAQuadratic) {
  const std::string yaml = "dtype: float64\ndevice: cpu\ntask: {type: linear_regression, dim: 6, n_train: 20, n_test: 10}\n"
                           "model: {type: linear}\noptimizer: {type: adam, lr: 0.01, betas: [0.9, 0.99]}\n"
                           "train: {steps: 1, loss: mse}\n"
                           "probes: [{type: hessian, top_k: 2, iterations: 20, tolerance: 1.0e-10, preconditioned: true}]\n";
  const Spec spec = load_spec_text(yaml);
  Experiment ex = build_experiment(spec);
  const Batch& train = ex.task->train();
  auto loss = [&] { return ex.task->loss(Loss::kMse, ex.model->forward(train.inputs), train); };
  auto flat = [](const std::vector<torch::Tensor>& ts) {
    std::vector<torch::Tensor> pieces;
    for (const auto& t : ts) pieces.push_back(t.reshape(-1));
    return torch::cat(pieces).to(torch::kDouble);
  };
  BuildContext context(spec, torch::kCPU);
  auto probe = find_entry(probe_registry(), "hessian")->build(*spec.probes.back().options, context);
  ProbeContext c{*ex.model, *ex.task, spec, 0, 0.01};
  c.optimizer = ex.optimizer.get();
  MetricRow before;
  probe->measure(c, before);
  EXPECT_EQ(before.find("hessian/preconditioned_lambda_1"), nullptr) << "no preconditioner before the first step";
  torch::Tensor v;
  for (int t = 0; t < 5; ++t) {
    ex.optimizer->zero_grad();
    loss().backward();
    const torch::Tensor g = flat(ex.optimizer->gradients());
    v = t == 0 ? 0.01 * g.square() : 0.99 * v + 0.01 * g.square();
    ex.optimizer->step(0.01);
  }
  const torch::Tensor P = (1 - std::pow(0.9, 5)) * ((v / (1 - std::pow(0.99, 5))).sqrt() + 1e-8);
  const torch::Tensor H = explicit_hessian(loss(), ex.model->parameters());
  const torch::Tensor scale = P.rsqrt();
  const torch::Tensor M = scale.unsqueeze(1) * H * scale.unsqueeze(0);
  const torch::Tensor exact = std::get<0>(torch::linalg_eigh(M, "L")).flip(0);
  MetricRow row;
  c.step = 5;
  probe->measure(c, row);
  for (int i = 0; i < 2; ++i) {
    const double got = *row.find("hessian/preconditioned_lambda_" + std::to_string(i + 1));
    EXPECT_NEAR(got, exact[i].item<double>(), 1e-8 * exact[0].item<double>()) << i;
  }
  EXPECT_NEAR(*row.find("hessian/preconditioned_threshold"), 3.8 / 0.001, 1e-9);
  // The plain sharpness is H's, unchanged by the option.
  const double plain = std::get<0>(torch::linalg_eigh(H, "L"))[-1].item<double>();
  EXPECT_NEAR(*row.find("hessian/lambda_1"), plain, 1e-8 * plain);

}

// precision: float64 on a float32 model measures what a float64 model with the same (exactly
// representable) weights measures, and leaves the float32 model as it was.
TEST(Hessian, TheFloat64OptionMatchesAFloat64Model) {
  auto measured = [](const std::string& dtype, const std::string& precision) {
    const Spec spec = load_spec_text("dtype: " + dtype + "\ndevice: cpu\ntask: " + std::string(kModular) +
                                     "\nmodel: {type: mlp, width: 6, activation: tanh}\noptimizer: {type: sgd, lr: 0.1}\n"
                                     "train: {steps: 1, loss: mse}\nprobes: [{type: hessian, top_k: 2, iterations: 60, "
                                     "tolerance: 1.0e-9, precision: " + precision + "}]\n");
    Experiment ex = build_experiment(spec);
    BuildContext context(spec, torch::kCPU);
    context.inputs = ex.task->inputs();
    auto probe = find_entry(probe_registry(), "hessian")->build(*spec.probes.back().options, context);
    ProbeContext c{*ex.model, *ex.task, spec, 0, 0.1};
    const torch::Tensor before = ex.model->parameters()[0].clone();
    MetricRow row;
    probe->measure(c, row);
    EXPECT_TRUE(torch::equal(ex.model->parameters()[0], before));
    EXPECT_EQ(ex.model->parameters()[0].scalar_type(), dtype == "float64" ? torch::kDouble : torch::kFloat);
    return std::pair{*row.find("hessian/lambda_1"), *row.find("hessian/lambda_2")};
  };
  const auto wide = measured("float64", "model"), shadowed = measured("float32", "float64"),
             narrow = measured("float32", "model");
  EXPECT_NEAR(shadowed.first, wide.first, 1e-10 * wide.first);
  EXPECT_NEAR(shadowed.second, wide.second, 1e-10 * wide.first);
  EXPECT_NEAR(narrow.first, wide.first, 1e-4 * wide.first);  // float32 products: close, not equal
}

}  // namespace
}  // namespace phenom
