// Step callbacks: what runs at fixed points of every training step, outside the loop's own
// arithmetic. The loop calls each callback, in order, after backward (gradients may be edited),
// after the optimizer update (parameters may be edited), and at each measurement (a callback may
// add metrics to the row). A callback's state (e.g. a pruning mask) goes into every checkpoint
// under "callback.<name>.<key>" and comes back on resume.
//
// Gradient clipping and the fixed-norm constraint are callbacks built from train options; a
// weight mask (pruned weights stay exactly zero) is built by whoever owns the mask (a protocol).
#pragma once
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"

namespace phenom {

class Model;
class Optimizer;
struct Spec;

struct StepState {
  int64_t step;  // the update being taken: parameters go from step to step + 1
  Model& model;
  std::vector<torch::Tensor>& parameters;  // model.parameters(), in its order
};

class StepCallback {
 public:
  virtual ~StepCallback() = default;
  virtual std::string name() const = 0;  // unique per run: the key of its state in checkpoints
  virtual void after_backward(StepState&) {}
  virtual void after_update(StepState&) {}
  virtual void at_measure(int64_t /*step*/, MetricRow& /*row*/) {}
  // State to checkpoint, by key; load_state receives what state() returned when it was saved.
  virtual std::map<std::string, torch::Tensor> state() const { return {}; }
  virtual void load_state(const std::map<std::string, torch::Tensor>& /*saved*/) {}
  // The keys load_state expects (a checkpoint without them is refused).
  virtual std::vector<std::string> state_keys() const { return {}; }
};

using StepCallbacks = std::vector<std::unique_ptr<StepCallback>>;

// The callbacks a spec's train options ask for, in the order they run: grad_clip (after
// backward), weight_norm_constraint (after the update).
StepCallbacks callbacks_from_spec(const Spec& spec);

// Keeps the parameters named in `masks` (model parameter names; 1 = kept, 0 = pruned, same shape)
// at exactly zero where the mask is 0: gradients are masked after backward (so optimizer moments
// of a pruned weight, zero when the optimizer starts, stay zero, and weight decay adds nothing),
// and the weights again after the update. Adds `mask/density` (kept fraction of the masked
// weights) to every metric row. Throws BadInput naming the parameter when a name or shape does
// not match the model.
std::unique_ptr<StepCallback> make_weight_mask(Model& model, std::map<std::string, torch::Tensor> masks);

}  // namespace phenom
