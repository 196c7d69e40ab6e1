// Probes measure the model at their cadence and add named metrics to the step's row.
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "run/metrics.h"
#include "spec/spec.h"

namespace phenom {

class Model;
class Task;

struct ProbeContext {
  Model& model;
  const Task& task;
  const Spec& spec;
  int64_t step;
  double lr;  // the learning rate the next update uses
  // The model's logits on the whole train split at this step, when the trainer already computed
  // them (full-batch training: the next step's forward pass); undefined otherwise. These are
  // train-mode logits; no model here behaves differently in eval mode (no dropout or batch norm).
  torch::Tensor train_logits = {};
};

class Probe {
 public:
  explicit Probe(int64_t every) : every_(every) {}
  virtual ~Probe() = default;
  bool due(int64_t step) const { return step % every_ == 0; }
  virtual void measure(ProbeContext& context, MetricRow& row) = 0;
  // At the end of a run a probe may add a final analysis to summary.json under its type.
  using Json = nlohmann::ordered_json;
  virtual void summarize(ProbeContext& /*context*/, Json& /*out*/) {}

 private:
  int64_t every_;
};

}  // namespace phenom
