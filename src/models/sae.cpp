#include "models/sae.h"

#include <utility>

#include "core/build_context.h"
#include "models/model.h"
#include "models/sae_weights.h"

namespace phenom {
namespace {

// Hook points by SAELens' names: hook_sae_input, hook_sae_acts_pre, hook_sae_acts_post,
// hook_sae_recons. Init: unit-norm random decoder rows from the init generator, W_enc = W_dec^T,
// both biases 0.
class SparseAutoencoder : public Model {
 public:
  SparseAutoencoder(const SaeModelOptions& o, BuildContext& context) : options_(o) {
    const int64_t d = context.inputs.feature_dim, m = o.d_sae > 0 ? o.d_sae : o.expansion * d;
    torch::Tensor dec = torch::empty({m, d}, torch::kFloat).normal_(0.0, 1.0, context.init);
    dec = dec / dec.norm(2, 1, true);
    W_enc_ = register_parameter("W_enc", dec.t().contiguous());
    b_enc_ = register_parameter("b_enc", torch::zeros({m}));
    W_dec_ = register_parameter("W_dec", dec);
    b_dec_ = register_parameter("b_dec", torch::zeros({d}));
    input_ = hooks_.declare("hook_sae_input");
    pre_ = hooks_.declare("hook_sae_acts_pre");
    post_ = hooks_.declare("hook_sae_acts_post");
    recons_ = hooks_.declare("hook_sae_recons");
  }

  torch::Tensor forward(const torch::Tensor& inputs) override {
    const SaeWeights w = weights();
    const torch::Tensor x = hook(input_, inputs);
    const torch::Tensor f = hook(post_, w.activate(hook(pre_, torch::matmul(x - b_dec_, W_enc_) + b_enc_)));
    if (torch::GradMode::is_enabled() && options_.k == 0 && options_.l1 > 0) {
      penalty_ = options_.l1 * torch::matmul(f, W_dec_.norm(2, 1)).mean();
    }
    return hook(recons_, w.decode(f));
  }
  torch::Tensor take_penalty() override { return std::exchange(penalty_, torch::Tensor()); }
  SaeWeights weights() const { return {W_enc_, b_enc_, W_dec_, b_dec_, options_.k}; }

 private:
  SaeModelOptions options_;
  torch::Tensor W_enc_, b_enc_, W_dec_, b_dec_, penalty_;
  int input_ = -1, pre_ = -1, post_ = -1, recons_ = -1;
};

}  // namespace

std::optional<SaeWeights> sae_weights_of(Model& model) {
  const auto* sae = dynamic_cast<const SparseAutoencoder*>(&model);
  if (!sae) return std::nullopt;
  const SaeWeights w = sae->weights();
  return SaeWeights{w.W_enc.detach(), w.b_enc.detach(), w.W_dec.detach(), w.b_dec.detach(), w.k};
}

std::unique_ptr<Model> build_sae_model(const ModelOptions& options, BuildContext& context) {
  return std::make_unique<SparseAutoencoder>(dynamic_cast<const SaeModelOptions&>(options), context);
}

}  // namespace phenom
