// Sparse autoencoders (dictionary learning on activations; Bricken et al. 2023, Cunningham et al.
// 2023) in SAELens' "standard" form: f = relu((x - b_dec) W_enc + b_enc), x_hat = f W_dec + b_dec,
// with W_enc [d_in, d_sae] and W_dec [d_sae, d_in]; or TopK (Gao et al. 2024): only the k largest
// pre-activations of each row pass the relu.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace phenom {

struct SaeWeights {
  torch::Tensor W_enc, b_enc, W_dec, b_dec;
  int64_t k = 0;  // TopK: features kept per row; 0: all (ReLU)
  torch::Tensor encode(const torch::Tensor& x) const {
    const torch::Tensor pre = torch::matmul(x - b_dec, W_enc) + b_enc;
    if (k <= 0 || k >= pre.size(-1)) return torch::relu(pre);
    const auto [values, indices] = pre.topk(k, -1);
    return torch::zeros_like(pre).scatter(-1, indices, torch::relu(values));
  }
  torch::Tensor decode(const torch::Tensor& f) const { return torch::matmul(f, W_dec) + b_dec; }
  int64_t d_in() const { return W_enc.size(0); }
  int64_t d_sae() const { return W_enc.size(1); }
};

struct SaeTraining {
  int64_t d_sae = 0;
  int64_t k = 0;     // TopK when > 0 (usually with l1 = 0)
  double l1 = 1.0;       // on sum_j f_j ||W_dec_j||, with activations scaled to E||x||^2 = d_in
  int64_t steps = 2000;  // Adam steps on minibatches drawn with replacement
  int64_t batch = 512;
  double lr = 3e-3;
  uint64_t seed = 0;
};

// Fits an SAE to the rows of x [N, d_in] (any float dtype; trained in float32 on x's device).
// The loss is the squared reconstruction error summed over d_in, plus l1 times the decoder-norm
// weighted L1 of the features (SAELens' scale_sparsity_penalty_by_decoder_norm), both on x scaled
// by s = sqrt(d_in / E||x||^2); the scale is folded into the returned weights, which act on x
// itself. Init: unit-norm random decoder rows, W_enc = W_dec^T, b_enc = 0, b_dec = the mean.
SaeWeights train_sae(const torch::Tensor& x, const SaeTraining& training);

// How well an SAE describes x [N, d_in].
struct SaeFit {
  double explained_variance = 0;  // 1 - sum |x - x_hat|^2 / sum |x - mean|^2
  double mse = 0;                 // mean over rows of sum |x - x_hat|^2
  double l0 = 0;                  // mean number of active features per row
  double dead_fraction = 0;       // features active on no row
  double dense_fraction = 0;      // features active on more than 10% of the rows
  torch::Tensor density;          // [d_sae] float64: the fraction of rows on which each feature is active
};
SaeFit sae_fit(const SaeWeights& sae, const torch::Tensor& x);

}  // namespace phenom
