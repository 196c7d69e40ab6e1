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

 private:
  void flatten();
  torch::Tensor piece(const torch::Tensor& buffer, size_t parameter) const;  // parameter's view of a flat buffer
  torch::Tensor slot_of(size_t parameter, size_t index) const;  // a view: in-place ops update the state
  void ensure_slots();

  std::vector<torch::Tensor> parameters_;
  std::vector<Group> groups_;   // one (flat) or one per parameter
  std::vector<int64_t> offsets_;  // flat: where each parameter starts in the buffer
  bool flat_ = false;
  double base_lr_;
};

}  // namespace phenom
