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

// What to build: everything a run needs; the task and the model (reading a saved run, no
// optimizer, probes, detectors or callbacks); or the model alone (its weights: init_from,
// pruning), shaped by the task's options without loading its data. Models read only the inputs'
// shape and the init generator, so the model's initialisation is the same in all three.
enum class Parts { kAll, kTaskAndModel, kModel };
Experiment build_experiment(const Spec& spec, Parts parts = Parts::kAll);

}  // namespace phenom
