// The Hessian of a loss with respect to parameters, seen only through Hessian-vector products
// (double backward; phenom's own ops are twice differentiable): Lanczos for the top eigenvalues,
// Hutchinson's estimator for the trace. Vectors are flat float64 over all parameters in order.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <vector>

namespace phenom {

// v -> H v for the loss whose gradient `grads` was built with create_graph over `params`.
class HessianOperator {
 public:
  HessianOperator(std::vector<torch::Tensor> params, std::vector<torch::Tensor> grads);
  // Builds the gradient graph of `loss` (a scalar) over `params`.
  static HessianOperator of(const torch::Tensor& loss, const std::vector<torch::Tensor>& params);
  int64_t dim() const { return dim_; }
  torch::Tensor apply(const torch::Tensor& v) const;  // [dim] float64 -> [dim] float64
  torch::Tensor gradient() const;                     // the loss's gradient, flat float64
  int64_t products() const { return products_; }

 private:
  std::vector<torch::Tensor> params_, grads_;
  int64_t dim_ = 0;
  mutable int64_t products_ = 0;
};

struct TopEigen {
  std::vector<double> values;     // largest (algebraic) first
  std::vector<double> residuals;  // ||H u - lambda u|| of each Ritz pair, a bound on its error
  torch::Tensor vectors;          // [k, dim] float64, unit Ritz vectors
  int64_t iterations = 0;         // Lanczos steps taken (= Hessian-vector products)
  bool converged = false;         // every residual <= tolerance * |value|
};

// The k largest eigenvalues by Lanczos with full re-orthogonalisation, from the start vector
// `start` ([dim]), for at most `max_iterations` steps (and at most dim), stopping once every
// residual is at most `tolerance` times its eigenvalue's magnitude.
TopEigen lanczos_top(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, const torch::Tensor& start,
                     int64_t k, int64_t max_iterations, double tolerance);

struct TraceEstimate {
  double mean = 0;
  double standard_error = 0;  // over the samples
};

// Hutchinson: the mean of z^T H z over `samples` Rademacher vectors z drawn from `generator`.
TraceEstimate hutchinson_trace(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, int64_t dim,
                               int64_t samples, at::Generator& generator);

}  // namespace phenom
