// Closed-form training of a linear readout: the minimum-norm least-squares solution
//   W = argmin ||W|| subject to minimising ||Phi W^T - Y||^2
// from a truncated SVD of the features in float64 (Phi: the model's fixed features of the training
// inputs, with a column of ones when the readout has a bias; Y: one-hot labels or real targets).
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace phenom {

class Model;
struct Batch;

struct MinNormFit {
  int64_t rank = 0;              // singular values kept
  int64_t features = 0;          // columns of Phi (incl. the bias column)
  double cutoff = 0;             // absolute: singular values below it were dropped
  double largest = 0;            // largest singular value
  double smallest_kept = 0;      // smallest singular value kept
  double coef_norm = 0;          // Frobenius norm of the fitted readout weight (bias excluded)
};

// Fits `model`'s readout in place. num_outputs: classes (one-hot targets) or 1 for regression.
MinNormFit fit_min_norm(Model& model, const Batch& train, bool regression, double relative_cutoff);

// The same solve on plain tensors (tests): returns W^T [F, outputs] in float64.
torch::Tensor min_norm_solve(const torch::Tensor& phi, const torch::Tensor& targets, double relative_cutoff,
                             MinNormFit* info = nullptr);

}  // namespace phenom
