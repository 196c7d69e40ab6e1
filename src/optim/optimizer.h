// Optimizers over a parameter list, with their state as plain tensors so checkpoints restore
// them exactly. Written here rather than wrapping torch::optim so that weight decay is explicit
// (Adam: L2 added to the gradient; AdamW: decoupled p -= lr*wd*p) and state is easy to save.
//
// Speed (issue #6): when every parameter has one dtype and device, the optimizer moves them into
// one flat buffer (each parameter becomes a view into it, the model keeps its tensors), gives
// them views into one flat gradient buffer, and keeps its state flat too. zero_grad is then one
// fill and an update is one fused pass over the buffer (CPU: a hand-written loop; elsewhere a few
// LibTorch ops), instead of ~10 small ops per parameter. A consequence: every parameter counts as
// having a gradient each step (zero if the loss did not reach it), so weight decay and moment
// decay apply to it, where PyTorch would skip a parameter whose .grad is None.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace phenom {

class Optimizer {
 public:
  Optimizer(std::vector<torch::Tensor> parameters, double base_lr);
  double base_lr() const { return base_lr_; }
  virtual ~Optimizer() = default;
  // One update with learning rate `lr` (the schedule's value for this step).
  void step(double lr);
  void zero_grad();
  int64_t steps() const { return steps_; }
  bool flat() const { return flat_; }
  // Sharpness-aware minimisation (the `sam` optimizer; rho 0: off). ascend() moves the parameters
  // from w to w + e(w) using the current gradient and remembers w; restore() puts w back; step()
  // restores first when ascend() was the last move, so the update applies to w.
  struct Ascent {
    double rho = 0;
    bool adaptive = false;
    int64_t m = 0;  // examples per sub-batch with its own e; 0: the whole batch
  };
  void set_ascent(const Ascent& a) { ascent_ = a; }
  const Ascent& ascent() const { return ascent_; }
  void ascend();
  void restore();
  // The gradient buffers, one per group (the flat one, or each parameter's where it has one).
  std::vector<torch::Tensor> gradients() const;
  // Adaptive optimizers: the diagonal P of their update p -= lr P^-1 m at the current state, flat
  // over the parameters in order, float64 (Cohen et al. 2022's preconditioner); undefined for the
  // others and before the first step.
  virtual torch::Tensor preconditioner() const { return {}; }
  // Named state tensors for checkpoints: "<param index>.<slot>" (per parameter, flat or not).
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 protected:
  // A parameter tensor (the flat buffer, or one parameter), its gradient and its state slots.
  struct Group {
    torch::Tensor param, grad;
    std::vector<torch::Tensor> slots;
  };
  // Updates one group in place; slots hold `state_slots()` zero-initialised tensors.
  virtual void update(Group& group, double lr) = 0;
  virtual size_t state_slots() const = 0;
  // Whether `update` can run its hand-written CPU pass on the group (contiguous CPU float/double;
  // always true when flat on the CPU); otherwise it uses LibTorch ops.
  static bool cpu_pass(const Group& group);

  int64_t steps_ = 0;
  size_t parameter_count() const { return parameters_.size(); }
  torch::Tensor slot_of(size_t parameter, size_t index) const;  // a view: in-place ops update the state

 private:
  void flatten();
  torch::Tensor piece(const torch::Tensor& buffer, size_t parameter) const;  // parameter's view of a flat buffer
  void ensure_slots();

  std::vector<torch::Tensor> parameters_;
  std::vector<Group> groups_;   // one (flat) or one per parameter
  Ascent ascent_;
  std::vector<torch::Tensor> moved_, saved_;  // the tensors ascend() moved, and their w
  std::vector<int64_t> offsets_;  // flat: where each parameter starts in the buffer
  bool flat_ = false;
  double base_lr_;
};

}  // namespace phenom
