// Optimizers over a flat parameter list, with their state as plain tensors so checkpoints restore
// them exactly. Written here rather than wrapping torch::optim so that weight decay is explicit
// (Adam: L2 added to the gradient; AdamW: decoupled p -= lr*wd*p) and state is easy to save.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace phenom {

class Optimizer {
 public:
  Optimizer(std::vector<torch::Tensor> parameters, double base_lr)
      : parameters_(std::move(parameters)), base_lr_(base_lr) {}
  double base_lr() const { return base_lr_; }
  virtual ~Optimizer() = default;
  // One update with learning rate `lr` (the schedule's value for this step).
  void step(double lr) {
    torch::NoGradGuard no_grad;
    ++steps_;
    update(lr);
  }
  void zero_grad();
  int64_t steps() const { return steps_; }
  // Named state tensors for checkpoints: "<param index>.<slot>".
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 protected:
  virtual void update(double lr) = 0;
  // Per-parameter state slots, created zero-filled on first use.
  torch::Tensor slot(size_t parameter, size_t index);  // a handle: in-place ops update the state

  std::vector<torch::Tensor> parameters_;
  std::vector<std::vector<torch::Tensor>> state_;
  int64_t steps_ = 0;
  double base_lr_;
};

}  // namespace phenom
