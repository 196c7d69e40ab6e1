// Everything one run needs, built from the registries on the device the spec names.
#pragma once
#include <torch/torch.h>

#include "core/build_context.h"

namespace phenom {

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
