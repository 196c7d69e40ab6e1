// Fitting and judging sparse autoencoders (models/sae.h) on rows of activations.
#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "models/sae_weights.h"

namespace phenom {

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
