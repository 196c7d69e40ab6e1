// An SAE's weights in SAELens' layout and how they act (models/sae.h describes the architecture).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <optional>

namespace phenom {

class Model;

struct SaeWeights {
  torch::Tensor W_enc, b_enc, W_dec, b_dec;
  int64_t k = 0;  // TopK: features kept per row; 0: all (ReLU)
  torch::Tensor encode(const torch::Tensor& x) const { return activate(torch::matmul(x - b_dec, W_enc) + b_enc); }
  torch::Tensor activate(const torch::Tensor& pre) const {
    if (k <= 0 || k >= pre.size(-1)) return torch::relu(pre);
    const auto [values, indices] = pre.topk(k, -1);
    return torch::zeros_like(pre).scatter(-1, indices, torch::relu(values));
  }
  torch::Tensor decode(const torch::Tensor& f) const { return torch::matmul(f, W_dec) + b_dec; }
  int64_t d_in() const { return W_enc.size(0); }
  int64_t d_sae() const { return W_enc.size(1); }
  // The same features on x / scale: for weights trained on activations multiplied by `scale`.
  SaeWeights unscaled(double scale) const { return {W_enc * scale, b_enc, W_dec / scale, b_dec / scale, k}; }
};

// An `sae` model's weights (detached), or nothing for any other model.
std::optional<SaeWeights> sae_weights_of(Model& model);

}  // namespace phenom
