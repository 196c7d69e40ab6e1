#include "probes/icl_baselines.h"

#include <algorithm>
#include <cmath>

namespace phenom {
namespace {

torch::Tensor as_double(const torch::Tensor& t) { return t.to(torch::kDouble); }

// Fills column k of the predictions [N, n] with predict(X_k [N, k, d], Y_k [N, k], x_k [N, d]) for
// k = 1 .. n-1; column 0 (no pairs yet) stays 0.
template <class Predict>
torch::Tensor predict_per_position(const torch::Tensor& x_in, const torch::Tensor& y_in, Predict predict) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = as_double(x_in), y = as_double(y_in);
  const int64_t N = x.size(0), n = x.size(1);
  torch::Tensor out = torch::zeros({N, n}, x.options());
  for (int64_t k = 1; k < n; ++k) out.select(1, k).copy_(predict(x.slice(1, 0, k), y.slice(1, 0, k), x.select(1, k)));
  return out;
}

// Predictions x_k . w_k from a per-k estimate w_k = estimate(X_k, Y_k) [N, d].
template <class Estimate>
torch::Tensor predict_by_estimate(const torch::Tensor& x, const torch::Tensor& y, Estimate estimate) {
  return predict_per_position(x, y, [&](const torch::Tensor& X, const torch::Tensor& Y, const torch::Tensor& query) {
    return (query * estimate(X, Y)).sum(-1);
  });
}

}  // namespace

torch::Tensor predict_least_squares(const torch::Tensor& x, const torch::Tensor& y) {
  return predict_by_estimate(x, y, [](const torch::Tensor& X, const torch::Tensor& Y) {
    return torch::matmul(torch::linalg_pinv(X), Y.unsqueeze(-1)).squeeze(-1);  // [N, d, k] @ [N, k, 1]
  });
}

torch::Tensor predict_ridge(const torch::Tensor& x, const torch::Tensor& y, double lambda) {
  if (lambda <= 0) return predict_least_squares(x, y);
  return predict_by_estimate(x, y, [lambda](const torch::Tensor& X, const torch::Tensor& Y) {
    const torch::Tensor Xt = X.transpose(1, 2);  // [N, d, k]
    const int64_t k = X.size(1), d = X.size(2);
    if (k < d) {  // the dual form X^T (X X^T + lambda I)^-1 y: a k x k system, well conditioned as lambda -> 0
      const torch::Tensor gram = torch::matmul(X, Xt) + lambda * torch::eye(k, X.options());
      return torch::matmul(Xt, torch::linalg_solve(gram, Y.unsqueeze(-1))).squeeze(-1);
    }
    const torch::Tensor gram = torch::matmul(Xt, X) + lambda * torch::eye(d, X.options());
    return torch::linalg_solve(gram, torch::matmul(Xt, Y.unsqueeze(-1))).squeeze(-1);
  });
}

torch::Tensor predict_averaging(const torch::Tensor& x, const torch::Tensor& y) {
  return predict_by_estimate(x, y, [](const torch::Tensor& X, const torch::Tensor& Y) {
    return (X * Y.unsqueeze(-1)).mean(1);
  });
}

torch::Tensor predict_nearest_neighbours(const torch::Tensor& x, const torch::Tensor& y, int64_t neighbours) {
  return predict_per_position(x, y, [neighbours](const torch::Tensor& X, const torch::Tensor& Y, const torch::Tensor& query) {
    const torch::Tensor distance = (X - query.unsqueeze(1)).pow(2).sum(-1);  // [N, k]
    const torch::Tensor nearest = std::get<1>(distance.topk(std::min(neighbours, X.size(1)), 1, /*largest=*/false));
    return Y.gather(1, nearest).mean(1);
  });
}

torch::Tensor predict_pool_posterior_mean(const torch::Tensor& x_in, const torch::Tensor& y_in,
                                          const torch::Tensor& pool_in, double sigma) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = as_double(x_in), y = as_double(y_in), pool = as_double(pool_in);
  const int64_t N = x.size(0), n = x.size(1), M = pool.size(0);
  // sigma = 0 would make the weights a hard choice; a floor keeps the log-sum-exp finite and
  // still puts all weight on the pool members that fit the context exactly.
  const double two_var = 2 * std::max(sigma, 1e-6) * std::max(sigma, 1e-6);
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(1, N * n));
  torch::Tensor top = torch::full({N, n}, -INFINITY, x.options());  // running max of the log weights
  torch::Tensor mass = torch::zeros({N, n}, x.options());           // sum of exp(log weight - top)
  torch::Tensor moment = torch::zeros({N, n}, x.options());         // the same, times the prediction
  for (int64_t start = 0; start < M; start += chunk) {
    const torch::Tensor w = pool.slice(0, start, std::min(M, start + chunk));  // [m, d]
    const torch::Tensor predictions = torch::matmul(x, w.t());                 // [N, n, m]
    const torch::Tensor residual = (y.unsqueeze(-1) - predictions).pow(2);     // [N, n, m]
    // Log weight at position k: the pairs before k, an exclusive cumulative sum.
    const torch::Tensor log_weight = -(residual.cumsum(1) - residual) / two_var;
    const torch::Tensor chunk_top = std::get<0>(log_weight.max(-1));           // [N, n]
    const torch::Tensor new_top = torch::maximum(top, chunk_top);
    const torch::Tensor old_scale = torch::exp(top - new_top);
    const torch::Tensor weights = torch::exp(log_weight - new_top.unsqueeze(-1));
    mass = mass * old_scale + weights.sum(-1);
    moment = moment * old_scale + (weights * predictions).sum(-1);
    top = new_top;
  }
  return moment / mass;
}

std::vector<IclBaseline> icl_baselines(const torch::Tensor& x, const torch::Tensor& y, double sigma,
                                       const torch::Tensor& pool, int64_t neighbours) {
  std::vector<IclBaseline> out;
  out.push_back({"ols", predict_least_squares(x, y)});
  if (sigma > 0) out.push_back({"ridge", predict_ridge(x, y, sigma * sigma)});
  out.push_back({"averaging", predict_averaging(x, y)});
  out.push_back({"knn", predict_nearest_neighbours(x, y, neighbours)});
  out.push_back({"zero", torch::zeros({x.size(0), x.size(1)}, torch::kDouble)});
  if (pool.defined()) out.push_back({"dmmse", predict_pool_posterior_mean(x, y, pool, sigma)});
  return out;
}

}  // namespace phenom
