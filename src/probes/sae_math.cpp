#include "probes/sae_math.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace phenom {

SaeWeights train_sae(const torch::Tensor& x_in, const SaeTraining& t) {
  torch::NoGradGuard outer;  // gradients only inside the step below
  const torch::Tensor x = x_in.to(torch::kFloat).contiguous();
  const int64_t n = x.size(0), d = x.size(1);
  const double scale = std::sqrt(static_cast<double>(d) / std::max(x.pow(2).sum(1).mean().item<double>(), 1e-30));
  const torch::Tensor xs = x * scale;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(t.seed);
  const auto cpu = torch::TensorOptions().dtype(torch::kFloat);
  torch::Tensor dec = at::normal(0.0, 1.0, {t.d_sae, d}, gen, cpu).to(x.device());
  dec = dec / dec.norm(2, 1, true);
  torch::Tensor W_dec = dec.clone().requires_grad_(true);
  torch::Tensor W_enc = dec.t().contiguous().requires_grad_(true);
  torch::Tensor b_enc = torch::zeros({t.d_sae}, x.options()).requires_grad_(true);
  torch::Tensor b_dec = xs.mean(0).clone().requires_grad_(true);
  torch::optim::Adam adam({W_enc, b_enc, W_dec, b_dec}, torch::optim::AdamOptions(t.lr));
  const int64_t batch = std::min(t.batch, n);
  for (int64_t step = 0; step < t.steps; ++step) {
    const torch::Tensor rows = at::randint(n, {batch}, gen, torch::TensorOptions().dtype(torch::kLong)).to(x.device());
    const torch::Tensor xb = xs.index_select(0, rows);
    torch::AutoGradMode grad(true);
    const SaeWeights now{W_enc, b_enc, W_dec, b_dec, t.k};
    const torch::Tensor f = now.encode(xb);
    const torch::Tensor err = torch::matmul(f, W_dec) + b_dec - xb;
    const torch::Tensor sparsity = torch::matmul(f, W_dec.norm(2, 1)).mean();
    const torch::Tensor loss = err.pow(2).sum(1).mean() + t.l1 * sparsity;
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  // Fold the scale in: features on x equal those on x * scale.
  return SaeWeights{W_enc.detach(), b_enc.detach().clone(), W_dec.detach(), b_dec.detach(), t.k}.unscaled(scale);
}

SaeFit sae_fit(const SaeWeights& sae, const torch::Tensor& x_in) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = x_in.to(sae.W_enc.scalar_type());
  const torch::Tensor f = sae.encode(x);
  const torch::Tensor residual = (sae.decode(f) - x).to(torch::kDouble);
  const double error = residual.pow(2).sum().item<double>();
  const double total = (x.to(torch::kDouble) - x.to(torch::kDouble).mean(0)).pow(2).sum().item<double>();
  SaeFit fit;
  fit.explained_variance = total > 0 ? 1.0 - error / total : 0.0;
  fit.mse = error / static_cast<double>(x.size(0));
  const torch::Tensor active = f.gt(0).to(torch::kDouble);
  fit.l0 = active.sum(1).mean().item<double>();
  fit.density = active.mean(0);
  fit.dead_fraction = fit.density.eq(0).to(torch::kDouble).mean().item<double>();
  fit.dense_fraction = fit.density.gt(0.1).to(torch::kDouble).mean().item<double>();
  return fit;
}

}  // namespace phenom
