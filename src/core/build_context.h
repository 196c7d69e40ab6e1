// What components are built from: device, dtype and the seed's generators, decided in one place.
#pragma once
#include <torch/torch.h>

#include "spec/spec.h"

namespace phenom {

struct BuildContext {
  const Spec& spec;
  torch::Device device;
  torch::Dtype dtype;
  InputSpec inputs;            // filled once the task is built, before the model
  torch::Generator init;       // parameter initialisation (CPU; tensors are moved to the device)
  torch::Generator data;       // data generation, the train/test split and fixed evaluation sets
  std::vector<torch::Tensor> parameters;  // the model's trainable parameters, once it is built
  BuildContext(const Spec& s, torch::Device d);
};

}  // namespace phenom
