// Sharpness-aware minimisation: the ascent to w + e(w) and back, and the `sam` optimizer (the
// base optimizer with an ascent radius). The second gradient is the training loop's (it owns the
// batch and the loss): see Trainer::sharpness_aware_gradient.
#include <cmath>

#include "core/build_context.h"
#include "optim/optimizer.h"
#include "optim/optimizers.h"

namespace phenom {

std::unique_ptr<Optimizer> build_sgd(const OptimizerOptions&, BuildContext&);
std::unique_ptr<Optimizer> build_adam(const OptimizerOptions&, BuildContext&);

std::vector<torch::Tensor> Optimizer::gradients() const {
  if (flat_) return {groups_[0].grad};
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters_) if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

void Optimizer::ascend() {
  torch::NoGradGuard no_grad;
  restore();
  std::vector<torch::Tensor> params, grads;
  if (flat_) {
    params = {groups_[0].param};
    grads = {groups_[0].grad};
  } else {
    for (const auto& p : parameters_) {
      if (!p.grad().defined()) continue;
      params.push_back(p);
      grads.push_back(p.grad());
    }
  }
  // ||T g||, T = |w| elementwise (adaptive) or the identity, accumulated in float64.
  double squares = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const torch::Tensor scaled = ascent_.adaptive ? grads[i] * params[i].abs() : grads[i];
    squares += scaled.to(torch::kDouble).square().sum().item<double>();
  }
  const double scale = squares > 0 ? ascent_.rho / std::sqrt(squares) : 0.0;  // a zero gradient: no move
  for (size_t i = 0; i < params.size(); ++i) {
    saved_.push_back(params[i].clone());
    moved_.push_back(params[i]);
    // e = rho T^2 g / ||T g||
    params[i].add_(ascent_.adaptive ? grads[i] * params[i].square() : grads[i], scale);
  }
}

void Optimizer::restore() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < moved_.size(); ++i) moved_[i].copy_(saved_[i]);
  moved_.clear();
  saved_.clear();
}

std::unique_ptr<Optimizer> build_sam(const OptimizerOptions& options, BuildContext& context) {
  const auto& o = dynamic_cast<const SamOptions&>(options);
  std::unique_ptr<Optimizer> optimizer;
  if (o.base == SamBase::kSgd) {
    SgdOptions sgd;
    sgd.lr = o.lr;
    sgd.momentum = o.momentum;
    sgd.nesterov = o.nesterov;
    sgd.weight_decay = o.weight_decay;
    optimizer = build_sgd(sgd, context);
  } else {
    AdamOptions adam;
    adam.lr = o.lr;
    adam.betas = o.betas;
    adam.eps = o.eps;
    adam.weight_decay = o.weight_decay;
    adam.decoupled = o.base == SamBase::kAdamW;
    optimizer = build_adam(adam, context);
  }
  optimizer->set_ascent({o.rho, o.adaptive, o.m});
  return optimizer;
}

}  // namespace phenom
