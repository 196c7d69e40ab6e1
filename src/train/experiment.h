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
  torch::Generator data;       // data generation and the train/test split
  std::vector<torch::Tensor> parameters;  // the model's trainable parameters, once it is built
  BuildContext(const Spec& s, torch::Device d);
};

// Everything one run needs, built from the registries.
struct Experiment {
  std::unique_ptr<Task> task;
  std::shared_ptr<Model> model;
  std::unique_ptr<Optimizer> optimizer;
  std::vector<std::unique_ptr<Probe>> probes;
  std::vector<std::unique_ptr<Detector>> detectors;
  torch::Device device = torch::kCPU;
  Experiment();
  Experiment(Experiment&&) noexcept;
  Experiment& operator=(Experiment&&) noexcept;
  ~Experiment();
};

Experiment build_experiment(const Spec& spec);

}  // namespace phenom
