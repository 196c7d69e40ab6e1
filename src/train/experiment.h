// Everything one run needs, built from the registries on the device the spec names.
#pragma once
#include <torch/torch.h>

#include "core/build_context.h"
#include "train/callbacks.h"

namespace phenom {

struct Experiment {
  std::unique_ptr<Task> task;
  std::shared_ptr<Model> model;
  std::unique_ptr<Optimizer> optimizer;
  std::vector<std::unique_ptr<Probe>> probes;
  std::vector<std::unique_ptr<Detector>> detectors;
  StepCallbacks callbacks;  // run in this order at their points of every step
  torch::Device device = torch::kCPU;
  Experiment();
  Experiment(Experiment&&) noexcept;
  Experiment& operator=(Experiment&&) noexcept;
  ~Experiment();
};

// `training` false: the task and the model only (no optimizer, probes, detectors or callbacks),
// for reading a saved run. The model's initialisation is the same either way.
Experiment build_experiment(const Spec& spec, bool training = true);

}  // namespace phenom
