#include "optim/optimizers.h"

#include <cmath>

#include "core/build_context.h"
#include "ops/cpu_loops.h"
#include "optim/optimizer.h"

namespace phenom {

Optimizer::Optimizer(std::vector<torch::Tensor> parameters, double base_lr)
    : parameters_(std::move(parameters)), base_lr_(base_lr) {
  flatten();
}

void Optimizer::flatten() {
  bool same = !parameters_.empty();
  for (const auto& p : parameters_) {
    same = same && p.scalar_type() == parameters_[0].scalar_type() && p.device() == parameters_[0].device() &&
           p.layout() == torch::kStrided && p.is_floating_point();
  }
  if (!same) {
    for (auto& p : parameters_) groups_.push_back({p, {}, {}});
    return;
  }
  torch::NoGradGuard no_grad;
  int64_t total = 0;
  for (const auto& p : parameters_) {
    offsets_.push_back(total);
    total += p.numel();
  }
  torch::Tensor values = torch::empty({total}, parameters_[0].options());
  torch::Tensor grads = torch::zeros({total}, parameters_[0].options());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor view = piece(values, i);
    view.copy_(parameters_[i]);
    parameters_[i].set_data(view);  // the model's tensor now lives in the buffer
    parameters_[i].mutable_grad() = piece(grads, i);
  }
  groups_.push_back({values, grads, {}});
  flat_ = true;
}

bool Optimizer::cpu_pass(const Group& group) {
  return cpu_loop_dtype(group.param) && group.param.is_contiguous() && group.grad.is_contiguous();
}

torch::Tensor Optimizer::piece(const torch::Tensor& buffer, size_t parameter) const {
  const auto& p = parameters_[parameter];
  return buffer.slice(0, offsets_[parameter], offsets_[parameter] + p.numel()).view(p.sizes());
}

void Optimizer::step(double lr) {
  torch::NoGradGuard no_grad;
  restore();
  ++steps_;
  ensure_slots();
  for (size_t i = 0; i < groups_.size(); ++i) {
    Group& group = groups_[i];
    if (!flat_) {
      group.grad = parameters_[i].grad();
      if (!group.grad.defined()) continue;  // unreached by the loss: skipped, as in PyTorch
    }
    update(group, lr);
  }
}

void Optimizer::zero_grad() {
  if (flat_) {
    groups_[0].grad.zero_();
    return;
  }
  for (auto& p : parameters_) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

void Optimizer::ensure_slots() {
  for (auto& group : groups_) {
    while (group.slots.size() < state_slots()) group.slots.push_back(torch::zeros_like(group.param));
  }
}

torch::Tensor Optimizer::slot_of(size_t parameter, size_t index) const {
  return flat_ ? piece(groups_[0].slots[index], parameter) : groups_[parameter].slots[index];
}

void Optimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("optimizer.steps", torch::tensor(steps_, torch::kLong));
  if (steps_ == 0) return;  // no state yet
  for (size_t i = 0; i < parameters_.size(); ++i) {
    for (size_t j = 0; j < state_slots(); ++j) {
      // A compact copy: the file does not depend on whether the state is flat.
      archive.write("optimizer." + std::to_string(i) + "." + std::to_string(j), slot_of(i, j).clone());
    }
  }
}

void Optimizer::load(torch::serialize::InputArchive& archive) {
  torch::Tensor steps;
  archive.read("optimizer.steps", steps);
  steps_ = steps.item<int64_t>();
  ensure_slots();
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    for (size_t j = 0; j < state_slots(); ++j) {
      torch::Tensor t;
      if (archive.try_read("optimizer." + std::to_string(i) + "." + std::to_string(j), t)) slot_of(i, j).copy_(t);
    }
  }
}

namespace {

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<torch::Tensor> params, SgdOptions o) : Optimizer(std::move(params), o.lr), o_(o) {}

 protected:
  size_t state_slots() const override { return o_.momentum != 0 ? 1 : 0; }

  void update(Group& group, double lr) override {
    if (cpu_pass(group)) {
      AT_DISPATCH_FLOATING_TYPES(group.param.scalar_type(), "sgd", [&] { fused<scalar_t>(group, lr); });
      return;
    }
    auto& p = group.param;
    auto d = group.grad;
    if (o_.weight_decay != 0) d = d.add(p, o_.weight_decay);
    if (o_.momentum != 0) {
      auto& buffer = group.slots[0];
      if (steps_ == 1) buffer.copy_(d); else buffer.mul_(o_.momentum).add_(d);
      d = o_.nesterov ? d.add(buffer, o_.momentum) : buffer;
    }
    p.add_(d, -lr);
  }

 private:
  // The same arithmetic as the LibTorch ops above, element by element in one pass.
  template <typename T>
  void fused(Group& group, double lr_value) {
    T* p = group.param.data_ptr<T>();
    const T* g = group.grad.data_ptr<T>();
    T* buffer = o_.momentum != 0 ? group.slots[0].data_ptr<T>() : nullptr;
    const T wd = static_cast<T>(o_.weight_decay), momentum = static_cast<T>(o_.momentum), lr = static_cast<T>(lr_value);
    const bool first = steps_ == 1, nesterov = o_.nesterov, decay = o_.weight_decay != 0;
    parallel_chunks(group.param.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        T d = decay ? g[i] + wd * p[i] : g[i];
        if (buffer) {
          buffer[i] = first ? d : buffer[i] * momentum + d;
          d = nesterov ? d + momentum * buffer[i] : buffer[i];
        }
        p[i] = p[i] + (-lr) * d;
      }
    });
  }

  SgdOptions o_;
};

// Adam (Kingma & Ba) with bias correction, in PyTorch's arithmetic order:
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
// decoupled (AdamW): p *= 1 - lr*wd first; otherwise g += wd*p.
class Adam : public Optimizer {
 public:
  Adam(std::vector<torch::Tensor> params, AdamOptions o) : Optimizer(std::move(params), o.lr), o_(std::move(o)) {}

 protected:
  size_t state_slots() const override { return 2; }

  void update(Group& group, double lr) override {
    if (cpu_pass(group)) {
      AT_DISPATCH_FLOATING_TYPES(group.param.scalar_type(), "adam", [&] { fused<scalar_t>(group, lr); });
      return;
    }
    const Scalars s = scalars(lr);
    auto& p = group.param;
    auto g = group.grad;
    if (o_.decoupled) {
      if (o_.weight_decay != 0) p.mul_(s.shrink);
    } else if (o_.weight_decay != 0) {
      g = g.add(p, o_.weight_decay);
    }
    auto &m = group.slots[0], &v = group.slots[1];
    m.mul_(s.b1).add_(g, 1 - s.b1);
    v.mul_(s.b2).addcmul_(g, g, 1 - s.b2);
    auto denominator = (v.sqrt() / s.correction2_sqrt).add_(o_.eps);
    p.addcdiv_(m, denominator, s.step);
  }

 private:
  struct Scalars {
    double b1, b2, correction2_sqrt, shrink, step;
  };
  Scalars scalars(double lr) const {
    const double b1 = o_.betas[0], b2 = o_.betas[1];
    const double correction1 = 1 - std::pow(b1, static_cast<double>(steps_));
    return {b1, b2, std::sqrt(1 - std::pow(b2, static_cast<double>(steps_))), 1 - lr * o_.weight_decay,
            -lr / correction1};
  }

  // The same arithmetic as the LibTorch ops above (scalars rounded to T as LibTorch does),
  // element by element in one pass over the buffer.
  template <typename T>
  void fused(Group& group, double lr) {
    const Scalars s = scalars(lr);
    T* p = group.param.data_ptr<T>();
    const T* g = group.grad.data_ptr<T>();
    T* m = group.slots[0].data_ptr<T>();
    T* v = group.slots[1].data_ptr<T>();
    const T b1 = static_cast<T>(s.b1), b2 = static_cast<T>(s.b2), one_minus_b1 = static_cast<T>(1 - s.b1),
            one_minus_b2 = static_cast<T>(1 - s.b2), c2 = static_cast<T>(s.correction2_sqrt),
            eps = static_cast<T>(o_.eps), shrink = static_cast<T>(s.shrink), step = static_cast<T>(s.step),
            wd = static_cast<T>(o_.weight_decay);
    const bool decoupled = o_.decoupled && o_.weight_decay != 0, l2 = !o_.decoupled && o_.weight_decay != 0;
    parallel_chunks(group.param.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        if (decoupled) p[i] = p[i] * shrink;
        const T gi = l2 ? g[i] + wd * p[i] : g[i];
        m[i] = m[i] * b1 + one_minus_b1 * gi;
        v[i] = v[i] * b2 + one_minus_b2 * (gi * gi);
        const T denominator = std::sqrt(v[i]) / c2 + eps;
        p[i] = p[i] + step * (m[i] / denominator);
      }
    });
  }

  AdamOptions o_;

 public:
  // P = (1 - b1^t) (sqrt(v / (1 - b2^t)) + eps): the update is p -= lr P^-1 m.
  torch::Tensor preconditioner() const override {
    if (steps_ == 0) return {};
    const double b1 = o_.betas[0], b2 = o_.betas[1], t = static_cast<double>(steps_);
    std::vector<torch::Tensor> pieces;
    for (size_t i = 0; i < parameter_count(); ++i) pieces.push_back(slot_of(i, 1).reshape(-1).to(torch::kDouble));
    const torch::Tensor v = torch::cat(pieces);
    return (1 - std::pow(b1, t)) * ((v / (1 - std::pow(b2, t))).sqrt() + o_.eps);
  }
};

}  // namespace

std::unique_ptr<Optimizer> build_sgd(const OptimizerOptions& o, BuildContext& context) {
  return std::make_unique<Sgd>(context.parameters, dynamic_cast<const SgdOptions&>(o));
}
std::unique_ptr<Optimizer> build_adam(const OptimizerOptions& o, BuildContext& context) {
  return std::make_unique<Adam>(context.parameters, dynamic_cast<const AdamOptions&>(o));
}

}  // namespace phenom
