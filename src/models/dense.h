// Dense layers for every model: x @ W (+ b) on the fastest GEMM this process has (core/gemm.h).
// Float32 CPU tensors go to oneDNN's sgemm through one autograd function whose backward is built
// from the same function, so gradients of gradients (Hessian-vector products) work; anything else
// (float64, CUDA, PHENOM_GEMM=torch) uses LibTorch's own linear/matmul. Same values either way up
// to float32 rounding.
#pragma once
#include <torch/torch.h>

namespace phenom {

// x [..., in] with W stored [out, in] (nn.Linear's layout): x W^T + b.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias = {});

// x [..., in] with W stored [in, out] (TransformerLens's layout): x W + b.
torch::Tensor matmul(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias = {});

}  // namespace phenom
