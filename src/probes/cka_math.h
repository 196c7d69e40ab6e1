// CKA of two representations of the same N examples (x [N, p], y [N, q], float64).
#pragma once
#include <torch/torch.h>

namespace phenom {

double linear_cka(const torch::Tensor& x, const torch::Tensor& y);
// RBF-kernel CKA: k(a, b) = exp(-|a - b|^2 / (2 sigma^2)) with sigma = sigma_fraction x the median
// distance between distinct examples of each representation (Kornblith et al. 2019 use 0.2-0.8);
// it tends to linear CKA as sigma_fraction grows.
double rbf_cka(const torch::Tensor& x, const torch::Tensor& y, double sigma_fraction);

}  // namespace phenom
