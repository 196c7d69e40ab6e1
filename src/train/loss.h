#pragma once
#include <torch/torch.h>

#include <string>

namespace phenom {

// logits [B, C], targets int64 [B]. cross_entropy: mean over examples; mse: mean over examples and
// classes of (logit - one_hot)^2 (PyTorch's MSELoss default), on contiguous CPU logits as one
// fused pass each way (no one-hot tensor). Real-valued targets [B] (regression tasks): mse against
// the single output.
torch::Tensor compute_loss(const std::string& loss, const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace phenom
