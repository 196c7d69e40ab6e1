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
  bool curved() const;  // whether any parameter's gradient depends on the parameters (else H = 0)

 private:
  std::vector<torch::Tensor> params_, grads_;
  int64_t dim_ = 0;
  mutable int64_t products_ = 0;
};

struct TopEigen {
  std::vector<double> values;     // largest (algebraic) first
  std::vector<double> residuals;  // ||H u - lambda u|| of each Ritz pair, a bound on its error
  torch::Tensor vectors;          // [k, dim] float64, unit Ritz vectors
  torch::Tensor tracked;          // Lanczos: [min(track, steps), dim], the top Ritz vectors beyond k too
  int64_t iterations = 0;         // Lanczos steps taken (= Hessian-vector products)
  bool converged = false;         // every residual <= tolerance * |value|
  // Lanczos only: every Ritz value of the last tridiagonal matrix (ascending) and the squared first
  // components of its eigenvectors (summing to 1): one vector's quadrature of the spectral density.
  torch::Tensor nodes, weights;
};

// The k largest eigenvalues by Lanczos with full re-orthogonalisation, from the start vector
// `start` ([dim]), for at most `max_iterations` steps (and at most dim), stopping once every
// residual is at most `tolerance` times its eigenvalue's magnitude, but not before `min_iterations`
// steps; `tracked` keeps the top max(k, track) Ritz vectors (a warm start's next start).
TopEigen lanczos_top(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, const torch::Tensor& start,
                     int64_t k, int64_t max_iterations, double tolerance, int64_t min_iterations = 0,
                     int64_t track = 0);

// The k eigenvalues of largest magnitude by power iteration with deflation (each found pair is
// projected out of the next), each stopped when its value changes by at most `tolerance` relative
// (PyHessian's rule) or after `max_iterations` products; `iterations` counts all of them.
TopEigen power_top(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, const torch::Tensor& start,
                   int64_t k, int64_t max_iterations, double tolerance);

// Stochastic Lanczos quadrature (Ubaru et al. 2017; Ghorbani et al. 2019): `vectors` Rademacher
// starts, `steps` Lanczos steps each; nodes and weights [vectors, steps] (rows shorter when Lanczos
// ended early are padded with weight 0). The density is the mean over rows of sum_j w_j delta(x - node_j).
struct SpectralDensity {
  torch::Tensor nodes, weights;
};
SpectralDensity slq_density(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, int64_t dim, int64_t steps,
                            int64_t vectors, at::Generator& generator);

struct TraceEstimate {
  double mean = 0;
  double standard_error = 0;  // over the samples
};

// Hutchinson: the mean of z^T H z over `samples` Rademacher vectors z drawn from `generator`.
TraceEstimate hutchinson_trace(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, int64_t dim,
                               int64_t samples, at::Generator& generator);

}  // namespace phenom
