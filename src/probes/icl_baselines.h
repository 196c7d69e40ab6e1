// Closed-form predictors an in-context regression model is compared with (Garg et al. 2022;
// Raventós et al. 2023). Each takes prompts x [N, n, d] and in-context targets y [N, n] and returns
// its prediction of y at every position k from the first k pairs: [N, n] (position 0 sees no pair).
// All arithmetic in float64.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace phenom {

// Minimum-norm least squares, w = pinv(X_k) y_k (an SVD pseudo-inverse: correct for k < d).
torch::Tensor predict_least_squares(const torch::Tensor& x, const torch::Tensor& y);
// Ridge, w = (X^T X + lambda I)^-1 X^T y; lambda = 0 is least squares.
torch::Tensor predict_ridge(const torch::Tensor& x, const torch::Tensor& y, double lambda);
// Averaging, w = (1/k) sum_i y_i x_i.
torch::Tensor predict_averaging(const torch::Tensor& x, const torch::Tensor& y);
// The mean y of the `neighbours` nearest x_i (Euclidean) among the first k (all of them if fewer).
torch::Tensor predict_nearest_neighbours(const torch::Tensor& x, const torch::Tensor& y, int64_t neighbours);
// The Bayes predictor for tasks drawn uniformly from a finite pool [M, d] with Gaussian noise
// sigma: the posterior-weighted mean of the pool's predictions, weights softmax_m of
// -sum_{i<k} (y_i - w_m . x_i)^2 / (2 sigma^2), by a running log-sum-exp over chunks of the pool
// so that M = 2^16 fits in memory. At position 0 it is the pool's mean prediction.
torch::Tensor predict_pool_posterior_mean(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& pool,
                                          double sigma);

struct IclBaseline {
  std::string name;         // ols, ridge, averaging, knn, zero, dmmse
  torch::Tensor predictions;  // [N, n] float64
};

// Every baseline that applies: ols, ridge (lambda = sigma^2 / tau^2 with tau = 1; omitted when sigma
// is 0, where it is ols), averaging, knn (`neighbours`), zero, and dmmse when `pool` is defined.
std::vector<IclBaseline> icl_baselines(const torch::Tensor& x, const torch::Tensor& y, double sigma,
                                       const torch::Tensor& pool, int64_t neighbours);

}  // namespace phenom
