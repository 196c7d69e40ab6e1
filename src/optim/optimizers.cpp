#include "optim/optimizers.h"

#include <cmath>

#include "optim/optimizer.h"
#include "train/experiment.h"

namespace phenom {

void Optimizer::zero_grad() {
  for (auto& p : parameters_) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

torch::Tensor Optimizer::slot(size_t parameter, size_t index) {
  if (state_.size() < parameters_.size()) state_.resize(parameters_.size());
  auto& slots = state_[parameter];
  while (slots.size() <= index) slots.push_back(torch::zeros_like(parameters_[parameter]));
  return slots[index];
}

void Optimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("optimizer.steps", torch::tensor(steps_, torch::kLong));
  for (size_t i = 0; i < state_.size(); ++i) {
    for (size_t j = 0; j < state_[i].size(); ++j) {
      archive.write("optimizer." + std::to_string(i) + "." + std::to_string(j), state_[i][j]);
    }
  }
}

void Optimizer::load(torch::serialize::InputArchive& archive) {
  torch::Tensor steps;
  archive.read("optimizer.steps", steps);
  steps_ = steps.item<int64_t>();
  state_.assign(parameters_.size(), {});
  for (size_t i = 0; i < parameters_.size(); ++i) {
    for (size_t j = 0;; ++j) {
      torch::Tensor t;
      if (!archive.try_read("optimizer." + std::to_string(i) + "." + std::to_string(j), t)) break;
      state_[i].push_back(t.to(parameters_[i].device()));
    }
  }
}

namespace {

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<torch::Tensor> params, SgdOptions o) : Optimizer(std::move(params), o.lr), o_(o) {}

 protected:
  void update(double lr) override {
    for (size_t i = 0; i < parameters_.size(); ++i) {
      auto& p = parameters_[i];
      if (!p.grad().defined()) continue;
      auto d = p.grad();
      if (o_.weight_decay != 0) d = d.add(p, o_.weight_decay);
      if (o_.momentum != 0) {
        auto buffer = slot(i, 0);
        if (steps_ == 1) buffer.copy_(d); else buffer.mul_(o_.momentum).add_(d);
        d = o_.nesterov ? d.add(buffer, o_.momentum) : buffer;
      }
      p.add_(d, -lr);
    }
  }

 private:
  SgdOptions o_;
};

// Adam (Kingma & Ba) with bias correction, in PyTorch's arithmetic order:
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
// decoupled (AdamW): p *= 1 - lr*wd first; otherwise g += wd*p.
class Adam : public Optimizer {
 public:
  Adam(std::vector<torch::Tensor> params, AdamOptions o) : Optimizer(std::move(params), o.lr), o_(std::move(o)) {}

 protected:
  void update(double lr) override {
    const double b1 = o_.betas[0], b2 = o_.betas[1];
    const double correction1 = 1 - std::pow(b1, static_cast<double>(steps_));
    const double correction2_sqrt = std::sqrt(1 - std::pow(b2, static_cast<double>(steps_)));
    for (size_t i = 0; i < parameters_.size(); ++i) {
      auto& p = parameters_[i];
      if (!p.grad().defined()) continue;
      auto g = p.grad();
      if (o_.decoupled) {
        if (o_.weight_decay != 0) p.mul_(1 - lr * o_.weight_decay);
      } else if (o_.weight_decay != 0) {
        g = g.add(p, o_.weight_decay);
      }
      auto m = slot(i, 0);
      auto v = slot(i, 1);
      m.mul_(b1).add_(g, 1 - b1);
      v.mul_(b2).addcmul_(g, g, 1 - b2);
      auto denominator = (v.sqrt() / correction2_sqrt).add_(o_.eps);
      p.addcdiv_(m, denominator, -lr / correction1);
    }
  }

 private:
  AdamOptions o_;
};

}  // namespace

std::unique_ptr<Optimizer> build_sgd(const OptionsBase& o, BuildContext& context) {
  return std::make_unique<Sgd>(context.parameters, dynamic_cast<const SgdOptions&>(o));
}
std::unique_ptr<Optimizer> build_adam(const OptionsBase& o, BuildContext& context) {
  return std::make_unique<Adam>(context.parameters, dynamic_cast<const AdamOptions&>(o));
}

}  // namespace phenom
