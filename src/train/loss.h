#pragma once
#include <torch/torch.h>

#include <string>

namespace phenom {

// logits [B, C], targets int64 [B]. cross_entropy: mean over examples; mse: mean over examples and
// classes of (logit - one_hot)^2 (PyTorch's MSELoss default).
// Real-valued targets [B] (regression tasks): mse against the single output.
inline torch::Tensor compute_loss(const std::string& loss, const torch::Tensor& logits, const torch::Tensor& targets) {
  if (targets.is_floating_point()) return torch::mse_loss(logits.view_as(targets), targets);
  if (loss == "mse") {
    auto one_hot = torch::one_hot(targets, logits.size(1)).to(logits.dtype());
    return torch::mse_loss(logits, one_hot);
  }
  return torch::nn::functional::cross_entropy(logits, targets);
}

}  // namespace phenom
