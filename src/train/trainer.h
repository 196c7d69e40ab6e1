// The one training loop. It owns time only: each step it samples a batch, takes an optimizer
// step, and at their cadences runs the probes (metrics row) and writes checkpoints.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/metrics.h"

namespace phenom {

struct Batch;
struct Experiment;
struct Spec;
class TrainSink;

struct TrainOutcome {
  enum class Status { kCompleted, kInterrupted, kDiverged } status = Status::kCompleted;
  int64_t start_step = 0;  // where this process started (resume point)
  int64_t step = 0;        // where it stopped
  double seconds = 0;      // wall time of the loop in this process
  double measure_seconds = 0;  // of which: probes, metric rows and progress (evaluation cost)
  std::vector<double> probe_seconds;  // of which: each probe (spec.probes order)
  bool stop_reached = false;  // the last measured train/acc reached train.stop_train_acc
  std::string message;
};

class Trainer {
 public:
  // Rows, progress and checkpoints go to `sink` (train/sink.h).
  Trainer(const Spec& spec, Experiment& ex, TrainSink& sink, std::string spec_hash);
  // Trains from `start_step` (0, or the step of the checkpoint already loaded) to train.steps,
  // appending to `history`.
  TrainOutcome run(int64_t start_step, MetricHistory& history);
  // Checkpoints and stops at this step as a stop signal would (phenom run --stop-at); -1: never.
  int64_t stop_at = -1;

 private:
  bool log_due(int64_t step) const;
  double lr_at(int64_t step) const;  // the schedule's learning rate for the update at `step`
  // The objective on a batch from the model's outputs: the task's train.loss plus any penalty the
  // model's forward pass produced (Model::take_penalty).
  torch::Tensor training_loss(const torch::Tensor& outputs, const Batch& batch);
  // Runs the due probes; returns false if a loss is not finite.
  bool measure(int64_t step, MetricHistory& history, double last_batch_loss, const MetricRow& extra = {});
  void fit_closed_form(MetricHistory& history);
  // The `sam` optimizer's gradient (train/sam_step.cpp): leaves in the gradient buffers the
  // gradient at w + e(w) (the mean over sub-batches of m, each with its own e), the parameters at w
  // or at w + e (step() puts w back). `loss` is the batch's loss at w.
  void sharpness_aware_gradient(const torch::Tensor& loss, const Batch& batch);
  bool stop_condition_holds(const MetricRow& row) const;  // train.stop_train_acc met by this row  // train.fit: min_norm, recorded as step 1
  void checkpoint(int64_t step, bool keep_numbered);
  // True when a LibTorch error at `step` is the run diverging (a non-finite parameter, gradient
  // or loss, or a value too large for the run's dtype): the run then ends as `diverged`.
  bool is_divergence(const std::string& message) const;
  TrainOutcome& diverge(TrainOutcome& outcome, int64_t step, const std::string& detail) const;

  const Spec& spec_;
  Experiment& ex_;
  TrainSink& sink_;
  std::string spec_hash_;
  int64_t start_step_ = 0;
  const MetricHistory* history_ = nullptr;  // during run(): the rows a checkpoint vouches for
  bool reached_stop_ = false;  // the last measured train/acc reached train.stop_train_acc
  int64_t parameter_versions() const;  // sum of the parameters' in-place version counters
  double measure_seconds_ = 0;  // time inside measure() in this process
  std::vector<double> probe_seconds_;  // of which: each probe's measure()
  // Full-batch training: the forward pass of the next step, computed when measuring so that the
  // train-split evaluation reads it instead of running its own (parameters do not change between).
  torch::Tensor next_loss_;
};

}  // namespace phenom
