#pragma once
#include <torch/torch.h>

#include <string>

namespace phenom {

// logits [B, C], targets int64 [B]. cross_entropy: mean over examples; mse: mean over examples and
// classes of (logit - one_hot)^2 (PyTorch's MSELoss default), on contiguous CPU logits as one
// fused pass each way (no one-hot tensor). Real-valued targets [B] (regression tasks): mse against
// the single output.
torch::Tensor compute_loss(const std::string& loss, const torch::Tensor& logits, const torch::Tensor& targets);

// Evaluation of class targets: the sum over examples of each example's loss (so loss_sum / B is
// compute_loss's value, here accumulated in double) and how many examples have the target as
// their first-highest logit (argmax). For mse on contiguous CPU float logits: one pass per row, in
// fixed blocks of rows summed in order (the result does not depend on the thread count);
// otherwise LibTorch's loss and argmax.
struct ClassScore {
  double loss_sum = 0;
  int64_t correct = 0;
};
ClassScore score_classes(const std::string& loss, const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace phenom
