// The `activations` task built (its options: tasks/activations.h), and how components open a
// saved run.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "tasks/activations.h"
#include "tasks/task.h"

namespace phenom {

class Model;

// A saved run's model system at a checkpoint, for components that read one. The run floor provides
// the opener (run/artifact.cpp), so that tasks never include it.
struct SavedSystem {
  std::shared_ptr<Task> task;  // null when opened without its task
  std::shared_ptr<Model> model;
  InputSpec inputs;             // what the source model reads
  std::string spec_hash;        // the source's spec hash
  Loss loss = Loss::kMse;       // and its train.loss
  int64_t step = 0;             // the checkpoint's step ('last' resolved)
  torch::Device device = torch::kCPU;
};
// dir: a run directory; step: a step with a checkpoint, or `last` (the run must have finished).
using SavedRunOpener = std::function<SavedSystem(const std::string& dir, const std::string& step, bool with_task)>;
SavedRunOpener& saved_run_opener();

// The task built: what instruments on an SAE run read besides the rows (probes/dictionary).
class ActivationsTask : public FixedSplitTask {
 public:
  ActivationsTask(const ActivationsOptions& options, BuildContext& context);
  InputSpec inputs() const override { return options_.inputs(); }
  // mse: the squared reconstruction error of a row summed over d_in, mean over rows (SAELens'
  // mse_loss), on the scaled rows.
  torch::Tensor loss(Loss loss, const torch::Tensor& outputs, const Batch& batch) const override;
  Score score(Loss loss, const torch::Tensor& outputs, const Batch& batch) const override;
  void describe(nlohmann::ordered_json& out) const override;

  const ActivationsOptions& options() const { return options_; }
  const SavedSystem& source() const { return source_; }
  // The source examples whose activations are set `name` (train or test) of this task.
  const Batch& source_examples(const std::string& name) const;
  double scale() const { return scale_; }  // the rows are the activations times this

 private:
  ActivationsOptions options_;
  SavedSystem source_;
  Batch source_train_, source_test_;
  double scale_ = 1.0;
};

}  // namespace phenom
