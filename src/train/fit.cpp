#include "train/fit.h"

#include "models/model.h"
#include "tasks/task.h"

namespace phenom {

torch::Tensor min_norm_solve(const torch::Tensor& phi, const torch::Tensor& targets, double relative_cutoff,
                             MinNormFit* info) {
  auto a = phi.to(torch::kDouble), y = targets.to(torch::kDouble);
  auto [u, s, vh] = at::linalg_svd(a, /*full_matrices=*/false);
  const double largest = s.numel() > 0 ? s[0].item<double>() : 0.0;
  const double cutoff = relative_cutoff * largest;
  auto keep = s > cutoff;
  const int64_t rank = keep.sum().item<int64_t>();
  // W^T = V_k diag(1/s_k) U_k^T Y
  auto u_k = u.slice(1, 0, rank), s_k = s.slice(0, 0, rank), vh_k = vh.slice(0, 0, rank);
  auto solution = vh_k.t().matmul((u_k.t().matmul(y)) / s_k.unsqueeze(1));
  if (info) {
    info->rank = rank;
    info->features = a.size(1);
    info->cutoff = cutoff;
    info->largest = largest;
    info->smallest_kept = rank > 0 ? s_k[rank - 1].item<double>() : 0.0;
  }
  return solution;
}

MinNormFit fit_min_norm(Model& model, const Batch& train, bool regression, double relative_cutoff) {
  torch::NoGradGuard no_grad;
  model.eval();
  torch::Tensor weight = model.readout_weight(), bias = model.readout_bias();
  auto phi = model.readout_features(train.inputs).to(torch::kDouble);
  if (bias.defined()) phi = torch::cat({phi, torch::ones({phi.size(0), 1}, phi.options())}, 1);
  auto y = regression ? train.targets.to(torch::kDouble).view({-1, 1})
                      : torch::one_hot(train.targets, weight.size(0)).to(torch::kDouble);
  MinNormFit info;
  auto solution = min_norm_solve(phi, y, relative_cutoff, &info).t();  // [outputs, F (+1)]
  const int64_t f = weight.size(1);
  weight.copy_(solution.slice(1, 0, f));
  if (bias.defined()) bias.copy_(solution.select(1, f));
  info.coef_norm = solution.slice(1, 0, f).norm().item<double>();
  model.train();
  return info;
}

}  // namespace phenom
