// Shared by phenom's hand-written CPU loops (ops/dense.cpp, ops/loss.cpp, optim/): which
// tensors they take, and how they split work over the intra-op pool.
#pragma once
#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace phenom {

// Whether a tensor can go to a hand-written loop: on the CPU, float32 or float64 (anything else
// takes the LibTorch-ops path beside each loop).
inline bool cpu_loop_dtype(const torch::Tensor& t) {
  return t.device().is_cpu() && (t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble);
}

// body(begin, end) over [0, n) on the intra-op pool, in chunks of at least 32k elements (smaller
// ones are not worth a thread). For element-wise work the result does not depend on the split.
template <typename Body>
void parallel_chunks(int64_t n, const Body& body) {
  at::parallel_for(0, n, 1 << 15, body);
}

}  // namespace phenom
