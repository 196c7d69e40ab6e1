// Linear CKA of two representations of the same N examples (x [N, p], y [N, q], float64).
#pragma once
#include <torch/torch.h>

namespace phenom {

double linear_cka(const torch::Tensor& x, const torch::Tensor& y);

}  // namespace phenom
