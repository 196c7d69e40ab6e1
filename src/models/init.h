// Initialisation from the run's init generator (drawn on the CPU, so identical on every device;
// the experiment moves the model to its device and dtype afterwards).
#pragma once
#include <torch/torch.h>

namespace phenom {

// std > 0: N(0, std^2); std == 0: PyTorch's nn.Linear default U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
inline torch::Tensor init_weight(std::vector<int64_t> shape, int64_t fan_in, double std, double scale,
                                 torch::Generator& generator) {
  auto w = torch::empty(shape, torch::kFloat);
  if (std > 0) {
    w.normal_(0.0, std, generator);
  } else {
    double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    w.uniform_(-bound, bound, generator);
  }
  return w.mul_(scale);
}

inline torch::Tensor init_bias(int64_t size, int64_t fan_in, double std, torch::Generator& generator) {
  auto b = torch::zeros({size}, torch::kFloat);
  if (std == 0) {
    double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    b.uniform_(-bound, bound, generator);
  }
  return b;
}

}  // namespace phenom

namespace phenom {

// Registers `value` under a dotted TransformerLens-style name ("blocks.0.attn.W_Q"), creating the
// intermediate submodules, since torch::nn::Module names cannot contain dots.
inline torch::Tensor register_dotted(torch::nn::Module& root, const std::string& dotted, torch::Tensor value,
                                     bool buffer = false) {
  torch::nn::Module* module = &root;
  size_t start = 0;
  for (size_t dot = dotted.find('.'); dot != std::string::npos; dot = dotted.find('.', start)) {
    std::string part = dotted.substr(start, dot - start);
    auto children = module->named_children();
    auto* child = children.find(part);
    module = child ? child->get() : module->register_module(part, std::make_shared<torch::nn::Module>()).get();
    start = dot + 1;
  }
  std::string leaf = dotted.substr(start);
  return buffer ? module->register_buffer(leaf, std::move(value)) : module->register_parameter(leaf, std::move(value));
}

}  // namespace phenom
