#include "train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/signals.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "probes/probe.h"
#include "tasks/task.h"
#include "train/callbacks.h"
#include "train/checkpoint.h"
#include "train/experiment.h"
#include "train/fit.h"
#include "train/sink.h"

namespace phenom {
namespace {

std::string four_digits(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.4g", v);
  return buffer;
}

}  // namespace

Trainer::Trainer(const Spec& spec, Experiment& ex, TrainSink& sink, std::string spec_hash)
    : spec_(spec), ex_(ex), sink_(sink), spec_hash_(std::move(spec_hash)) {}

double Trainer::lr_at(int64_t step) const {
  return spec_.learning_rate(step);
}

torch::Tensor Trainer::training_loss(const torch::Tensor& outputs, const Batch& batch) {
  torch::Tensor loss = ex_.task->loss(spec_.train.loss, outputs, batch);
  const torch::Tensor penalty = ex_.model->take_penalty();
  return penalty.defined() ? loss + penalty : loss;
}

bool Trainer::log_due(int64_t step) const {
  if (step == spec_.train.total_steps()) return true;
  for (const auto& p : ex_.probes) if (p->due(step)) return true;
  return false;
}

bool Trainer::stop_condition_holds(const MetricRow& row) const {
  const double* acc = row.find("train/acc");
  return spec_.train.stop_train_acc > 0 && acc && *acc >= spec_.train.stop_train_acc;
}

int64_t Trainer::parameter_versions() const {
  int64_t total = 0;
  for (const auto& p : ex_.model->parameters()) total += static_cast<int64_t>(p._version());
  return total;
}

bool Trainer::measure(int64_t step, MetricHistory& history, double last_batch_loss, const MetricRow& extra) {
  const auto started = std::chrono::steady_clock::now();
  double training_seconds = 0;  // the next step's forward pass is training, not measuring
  const int64_t total = spec_.train.total_steps();
  ProbeContext context{*ex_.model, *ex_.task, spec_, step, lr_at(step)};
  context.optimizer = ex_.optimizer.get();
  const Batch* fixed = ex_.task->fixed_batch();
  if (fixed && step < total && !reached_stop_) {
    torch::Tensor logits = ex_.model->forward(fixed->inputs);
    next_loss_ = training_loss(logits, *fixed);
    context.share_logits(*fixed, logits);
    training_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  MetricRow row{step, {}};
  const int64_t versions = parameter_versions();
  probe_seconds_.resize(ex_.probes.size(), 0.0);
  std::vector<char> measured(ex_.probes.size(), 0);
  auto run_probes = [&](bool all) {
    for (size_t i = 0; i < ex_.probes.size(); ++i) {
      if (measured[i] || (!all && !ex_.probes[i]->due(step))) continue;
      const auto probe_started = std::chrono::steady_clock::now();
      ex_.probes[i]->measure(context, row);
      probe_seconds_[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - probe_started).count();
      measured[i] = 1;
    }
  };
  run_probes(step == total);
  // The row where the stop condition first holds is the run's last: every probe measures it, as at
  // the last step (a probe on a sparser cadence, e.g. test accuracy only at the end, included).
  reached_stop_ = stop_condition_holds(row);
  if (reached_stop_) run_probes(true);
  // A probe that edits parameters in place (and restores them) invalidates the saved graph:
  // the next step then runs its own forward pass.
  if (next_loss_.defined() && parameter_versions() != versions) next_loss_ = torch::Tensor();
  for (const auto& [name, value] : extra.values) row.set(name, value);
  for (auto& c : ex_.callbacks) c->at_measure(step, row);
  // A streamed task has no fixed training set to score: the row gets train/batch_loss, the loss of
  // the batch the last step trained on (what a PyTorch loop would log).
  if (step > 0 && !ex_.task->eval_set("train")) row.set("train/batch_loss", last_batch_loss);
  history.append(row);
  sink_.row(row, history.jsonl_line(row));
  sink_.progress(step, start_step_, total, row);
  const double* train_loss = row.find("train/loss");
  measure_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() - training_seconds;
  return std::isfinite(last_batch_loss) && (!train_loss || std::isfinite(*train_loss));
}

void Trainer::fit_closed_form(MetricHistory& history) {
  const bool regression = ex_.task->inputs().regression;
  MinNormFit fit = fit_min_norm(*ex_.model, ex_.task->train(), regression, spec_.train.min_norm_cutoff);
  sink_.info("min-norm fit: rank " + std::to_string(fit.rank) + " of " + std::to_string(fit.features) +
                " features (singular values " + four_digits(fit.smallest_kept) + " .. " +
                four_digits(fit.largest) + " kept, cutoff " + four_digits(fit.cutoff) + "), |W| " +
                four_digits(fit.coef_norm));
  MetricRow extra{1, {}};
  extra.set("fit/rank", static_cast<double>(fit.rank));
  extra.set("fit/cutoff", fit.cutoff);
  extra.set("fit/smallest_kept_singular_value", fit.smallest_kept);
  extra.set("fit/coef_norm", fit.coef_norm);
  measure(1, history, 0.0, extra);
  checkpoint(1, false);
}

void Trainer::checkpoint(int64_t step, bool keep_numbered) {
  sink_.sync_rows();  // every row a checkpoint vouches for is durable first
  const int64_t rows = history_ ? static_cast<int64_t>(history_->rows().size()) : -1;
  const std::string bytes = encode_checkpoint(ex_, step, spec_hash_, rows);
  const std::string weights = encode_weights(ex_, step, spec_hash_);  // for Python and other tools
  sink_.checkpoint(step, keep_numbered, bytes, weights);
}

bool Trainer::is_divergence(const std::string& message) const {
  if (message.find("without overflow") != std::string::npos) return true;  // beyond the dtype's range
  torch::NoGradGuard no_grad;
  for (const auto& p : ex_.model->parameters()) {
    if (!torch::isfinite(p).all().item<bool>()) return true;
    if (p.grad().defined() && !torch::isfinite(p.grad()).all().item<bool>()) return true;
  }
  return false;
}

TrainOutcome& Trainer::diverge(TrainOutcome& outcome, int64_t step, const std::string& detail) const {
  outcome.status = TrainOutcome::Status::kDiverged;
  outcome.message = "the loss became non-finite (NaN or inf" + detail + "), first seen at step " +
                    std::to_string(step) + ". Fix: lower optimizer.lr or add train.grad_clip" +
                    (spec_.dtype == Dtype::kFloat64 ? std::string(".") : std::string(", or use dtype: float64."));
  return outcome;
}

TrainOutcome Trainer::run(int64_t start_step, MetricHistory& history) {
  TrainOutcome outcome;
  outcome.start_step = start_step_ = start_step;
  const auto started = std::chrono::steady_clock::now();
  const auto& train = spec_.train;
  Model& model = *ex_.model;
  model.train();
  std::vector<torch::Tensor> parameters = model.parameters();

  history_ = &history;
  int64_t step = start_step;
  // A closed-form fit has one row, after the fit (its zero-initialised readout says nothing).
  // (Resumed from a checkpoint of step 0: its row is already there.)
  if (step == 0 && train.fit != Fit::kMinNorm && history.rows().empty()) {
    measure(0, history, 0.0);
    if (train.checkpoint_due(0)) checkpoint(0, true);  // the initialisation, to analyse or rewind to
  }
  if (train.fit == Fit::kMinNorm && step == 0) {
    fit_closed_form(history);
    step = 1;
  }
  if (step > 0 && !history.rows().empty() && history.rows().back().step == step) {
    // Resumed from the checkpoint written where the stop condition held: stay stopped.
    reached_stop_ = stop_condition_holds(history.rows().back());
  }
  torch::Tensor loss;
  while (step < train.total_steps() && !reached_stop_) {
    if (stop_requested() || step == stop_at) {
      checkpoint(step, false);
      outcome.status = TrainOutcome::Status::kInterrupted;
      outcome.message = stop_requested() ? "interrupted by signal " + std::to_string(stop_signal()) + " at step " +
                                               std::to_string(step)
                                         : "stopped at step " + std::to_string(step) + " (--stop-at)";
      break;
    }
    const double lr = lr_at(step);
    bool finite = true;
    try {
      Batch batch;
      if (next_loss_.defined()) {
        loss = std::move(next_loss_);  // computed by the last measure(), same parameters
        next_loss_ = torch::Tensor();
        batch = *ex_.task->fixed_batch();
      } else {
        batch = ex_.task->batch(step);
        loss = training_loss(model.forward(batch.inputs), batch);
      }
      ex_.optimizer->zero_grad();
      if (ex_.optimizer->ascent().rho > 0) {
        sharpness_aware_gradient(loss, batch);
      } else {
        loss.backward();
      }
      StepState state{step, model, parameters};
      for (auto& c : ex_.callbacks) c->after_backward(state);
      ex_.optimizer->step(lr);
      for (auto& c : ex_.callbacks) c->after_update(state);
      ++step;
      finite = !log_due(step) || measure(step, history, loss.item<double>());
    } catch (const BadInput&) {
      throw;  // a failed write, a bad file: never mistaken for divergence
    } catch (const std::exception& e) {
      // An overflow inside an op (LibTorch's checked conversion of a scalar to float, e.g. the
      // MSE of an exploding output) is divergence too, wherever it shows up: the step, a probe or
      // the evaluation. Anything else is a real error.
      if (!is_divergence(e.what())) throw;
      diverge(outcome, step, ", or beyond the range of " + std::string(word(spec_.dtype)));
      break;
    }
    if (!finite) {
      diverge(outcome, step, "");
      break;
    }
    const bool numbered = train.checkpoint_due(step);
    if (numbered || step == train.steps || reached_stop_) checkpoint(step, numbered);
  }
  outcome.stop_reached = reached_stop_;
  outcome.step = step;
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  outcome.measure_seconds = measure_seconds_;
  outcome.probe_seconds = probe_seconds_;
  sink_.end_progress();
  return outcome;
}

}  // namespace phenom
