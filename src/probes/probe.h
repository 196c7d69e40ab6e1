// Probes measure the model at their cadence and add named metrics to the step's row.
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>

#include "core/metrics.h"
#include "spec/spec.h"

namespace phenom {

class Model;
class Optimizer;
class Task;
struct Batch;

// Files an instrument leaves for other tools in their own layout (an SAE as SAELens saves one):
// JSON documents and safetensors files, by file name.
struct Export {
  std::map<std::string, nlohmann::ordered_json> json;
  std::map<std::string, std::map<std::string, torch::Tensor>> safetensors;
};

struct ProbeContext {
  Model& model;
  const Task& task;
  const Spec& spec;
  int64_t step;
  double lr;  // the learning rate the next update uses
  // `phenom analyze`: where an instrument puts the tensors it computed (saved as safetensors,
  // keyed by name); null during training, where only metrics are kept.
  std::map<std::string, torch::Tensor>* tensors = nullptr;
  // `phenom analyze`: the instrument's exports by directory name (null during training).
  std::map<std::string, Export>* exports = nullptr;
  // `phenom analyze`: a run's model (`this`: the run analysed) at a checkpoint (`step`) run on these inputs, its
  // activations at `hooks` as activations() gives them (`position`); empty during training, where
  // no other run is opened.
  std::function<std::vector<torch::Tensor>(const std::string& run, int64_t step, const torch::Tensor& inputs,
                                           const std::vector<std::string>& hooks, const std::string& position)>
      reference_activations = {};
  // `phenom analyze`: the steps that have a checkpoint in a run (`this`: the run analysed).
  std::function<std::vector<int64_t>(const std::string& run)> reference_checkpoints = {};

  // The model's logits on a whole split at this step: computed on the first request (eval mode,
  // no graph, in chunks of `chunk` rows; 0: all at once) and shared by every probe measuring at
  // this step. The trainer seeds the train split's with the next step's forward pass when it
  // trains full-batch (train-mode logits; no model here behaves differently in eval mode). They
  // describe the parameters as the step's measurement began: a probe that edits parameters or
  // registers hook interventions runs its own forward passes instead.
  torch::Tensor logits(const Batch& split, int64_t chunk = 0);
  void share_logits(const Batch& split, torch::Tensor logits);
  std::vector<std::pair<const Batch*, torch::Tensor>> computed_logits = {};
  // The run's optimizer during training (its state at this step), else null.
  const Optimizer* optimizer = nullptr;
};

class Probe {
 public:
  explicit Probe(Cadence every) : every_(every) {}
  virtual ~Probe() = default;
  bool due(int64_t step) const { return every_.due(step); }
  virtual void measure(ProbeContext& context, MetricRow& row) = 0;
  // At the end of a run a probe may add a final analysis to summary.json under its type.
  using Json = nlohmann::ordered_json;
  virtual void summarize(ProbeContext& /*context*/, Json& /*out*/) {}
  // What a probe carries from one measurement to the next (e.g. warm-start vectors), kept in
  // checkpoints so that a resumed run measures what an uninterrupted one would. state() gives what
  // exists now (nothing before the first measurement); load_state receives what a checkpoint holds
  // of state_keys().
  virtual std::map<std::string, torch::Tensor> state() const { return {}; }
  virtual std::vector<std::string> state_keys() const { return {}; }
  virtual void load_state(const std::map<std::string, torch::Tensor>& /*saved*/) {}

 private:
  Cadence every_;
};

}  // namespace phenom
