// Models map a task's inputs to logits [B, num_classes] and expose named hook points.
#pragma once
#include <torch/torch.h>

#include "models/hooks.h"
#include "spec/words.h"

namespace phenom {

class Model : public torch::nn::Module {
 public:
  // inputs: tokens int64 [B, T] or features [B, D]; returns logits [B, num_classes].
  virtual torch::Tensor forward(const torch::Tensor& inputs) = 0;
  HookPoints& hooks() { return hooks_; }
  // A term the model adds to the training objective, from its last forward pass with gradients
  // enabled (an SAE's sparsity penalty); undefined: none. Taking it clears it.
  virtual torch::Tensor take_penalty() { return {}; }

  // Models whose only trainable part is a linear readout (ModelOptions::linear_readout) expose the
  // fixed features it reads and its parameters, for closed-form fits (train.fit: min_norm).
  virtual torch::Tensor readout_features(const torch::Tensor& /*inputs*/) { throw std::logic_error("no linear readout"); }
  virtual torch::Tensor readout_weight() { return {}; }  // [outputs, features]
  virtual torch::Tensor readout_bias() { return {}; }    // [outputs], or undefined

 protected:
  torch::Tensor hook(int id, torch::Tensor x) { return hooks_.apply(id, std::move(x)); }
  HookPoints hooks_;
};

// Activations shared by the model families.
torch::Tensor activate(Activation activation, const torch::Tensor& x);

}  // namespace phenom
