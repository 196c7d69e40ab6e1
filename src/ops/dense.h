// Dense layers for every model: x @ W (+ b) on the fastest GEMM this process has (ops/gemm.h).
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

// The first layer of a token MLP: one-hot(tokens) concatenated over positions, times W, as a sum of
// rows: h[b] = sum_t W[t * vocab + tokens[b, t]].  W [T * vocab, width], tokens int64 [B, T].
// On contiguous CPU tensors it is one gather pass forward and one scatter pass backward (each the
// adjoint of the other, so it is twice differentiable); elsewhere LibTorch's index_select.
torch::Tensor embedding_sum(const torch::Tensor& weight, const torch::Tensor& tokens, int64_t vocab);

// act(embedding_sum(W, tokens, vocab)) for a pointwise activation with a cheap derivative, without
// storing the pre-activation: forward is one gather pass that applies act to each row in place;
// backward is one column-parallel scatter pass that recomputes each pre-activation column from W
// and adds act'(h) * grad into dW. Same values as the unfused ops, bit for bit, on contiguous CPU
// tensors (elsewhere it is the unfused ops); twice differentiable (under create_graph the backward
// is built from the differentiable gather/scatter pair).
enum class Pointwise { kQuadratic, kRelu };
torch::Tensor embedding_sum_activated(const torch::Tensor& weight, const torch::Tensor& tokens, int64_t vocab,
                                      Pointwise activation);

// x^2 (the quadratic activation): one pass forward, one pass backward on CPU.
torch::Tensor square(const torch::Tensor& x);

}  // namespace phenom
