#pragma once
#include <torch/torch.h>

#include <string>

#include "spec/words.h"

namespace phenom {

// logits [B, C], targets int64 [B]. cross_entropy: mean over examples; mse: mean over examples and
// classes of (logit - one_hot)^2 (PyTorch's MSELoss default), on contiguous CPU logits as one
// fused pass each way (no one-hot tensor). Real-valued targets [B] (regression tasks): mse against
// the single output.
torch::Tensor compute_loss(Loss loss, const torch::Tensor& logits, const torch::Tensor& targets);

// Per-position squared error: predictions and targets [N, P], averaged over the positions that
// count. `weights` (optional, [P] or [N, P]) says how much each position counts (0: not at all);
// undefined: every position counts equally. Differentiable (LibTorch ops).
torch::Tensor position_mse(const torch::Tensor& predictions, const torch::Tensor& targets, const torch::Tensor& weights);

// One row's squared error against one-hot(target), summed over its C classes, in double: the sum
// of squares (four accumulators, so it vectorises) with the target column's x^2 replaced by
// (x - 1)^2. The fused MSE, evaluation scoring and the Fourier probe's split losses all use it.
template <typename T>
inline double squared_error_to_one_hot(const T* __restrict row, int64_t C, int64_t target) {
  double squares[4] = {0, 0, 0, 0};
  int64_t c = 0;
  for (; c + 4 <= C; c += 4) {
    for (int k = 0; k < 4; ++k) squares[k] += static_cast<double>(row[c + k]) * static_cast<double>(row[c + k]);
  }
  for (; c < C; ++c) squares[0] += static_cast<double>(row[c]) * static_cast<double>(row[c]);
  const double hot = static_cast<double>(row[target]);
  return (squares[0] + squares[1]) + (squares[2] + squares[3]) - hot * hot + (hot - 1.0) * (hot - 1.0);
}

// Evaluation of class targets: the sum over examples of each example's loss (so loss_sum / B is
// compute_loss's value, here accumulated in double) and how many examples have the target as
// their first-highest logit (argmax). For mse on contiguous CPU float logits: one pass per row, in
// fixed blocks of rows summed in order (the result does not depend on the thread count);
// otherwise LibTorch's loss and argmax.
struct ClassScore {
  double loss_sum = 0;
  int64_t correct = 0;
};
ClassScore score_classes(Loss loss, const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace phenom
