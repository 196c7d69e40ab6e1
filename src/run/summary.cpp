#include "run/summary.h"

#include <functional>

#include "models/model.h"
#include "detectors/detector.h"
#include "probes/probe.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom {
namespace {

const char* status_name(TrainOutcome::Status s) {
  switch (s) {
    case TrainOutcome::Status::kCompleted: return "completed";
    case TrainOutcome::Status::kInterrupted: return "interrupted";
    case TrainOutcome::Status::kDiverged: return "diverged";
  }
  return "failed";
}

}  // namespace

nlohmann::ordered_json run_summary(const Spec& spec, Experiment& ex, const TrainOutcome& outcome,
                                   const MetricHistory& history, std::vector<std::string>& verdicts) {
  using Json = nlohmann::ordered_json;
  Json summary;
  summary["status"] = status_name(outcome.status);
  summary["steps"] = outcome.step;
  summary["wall_seconds"] = outcome.seconds;
  summary["measure_seconds"] = outcome.measure_seconds;  // evaluation + probes, part of wall_seconds
  {
    Json by_probe = Json::object();  // "<index>.<type>": the part of measure_seconds in that probe
    for (size_t i = 0; i < outcome.probe_seconds.size() && i < spec.probes.size(); ++i) {
      by_probe[std::to_string(i) + "." + spec.probes[i].type] = outcome.probe_seconds[i];
    }
    summary["probe_seconds"] = by_probe;
  }
  summary["steps_per_second"] = outcome.seconds > 0 ? (outcome.step - outcome.start_step) / outcome.seconds : 0.0;
  summary["resumed_from_step"] = outcome.start_step;
  if (!outcome.message.empty()) summary["message"] = outcome.message;
  if (spec.train.stop_train_acc > 0) {
    summary["stop"] = {{"train_acc", spec.train.stop_train_acc},
                       {"reached", outcome.stop_reached},
                       {"step", outcome.stop_reached ? Json(outcome.step) : Json()}};
  }
  {
    Json task = Json::object();
    ex.task->describe(task);
    if (!task.empty()) summary["data"] = task;  // not "task": sweep.csv keeps spec keys (task.*) apart
    int64_t parameters = 0, trainable = 0;
    for (const auto& p : ex.model->parameters()) {
      parameters += p.numel();
      if (p.requires_grad()) trainable += p.numel();
    }
    summary["model"] = {{"parameters", parameters}, {"trainable", trainable}};
  }
  Json final_values = Json::object();
  for (const auto& [name, value] : history.final_values()) final_values[name] = value;
  summary["final"] = final_values;
  // After divergence the model holds non-finite values: a detector or a probe's summary that
  // cannot read them is left out, rather than turning the verdict `diverged` into an error.
  const bool diverged = outcome.status == TrainOutcome::Status::kDiverged;
  const auto guarded = [&](const std::string& what, const std::function<void()>& part) {
    try {
      part();
    } catch (const std::exception& e) {
      if (!diverged) throw;
      summary["skipped_after_divergence"][what] = e.what();
    }
  };
  const InputSpec inputs = ex.task->inputs();
  for (size_t i = 0; i < ex.detectors.size(); ++i) {
    guarded(spec.detectors[i].type, [&] {
      Json result = ex.detectors[i]->detect(history, inputs);
      verdicts.push_back(spec.detectors[i].type + ": " + ex.detectors[i]->describe(result));
      summary[spec.detectors[i].type] = result;
    });
  }
  {
    // Probes' final analyses (e.g. the key frequencies) under their type.
    const double lr = 0.0;
    ProbeContext context{*ex.model, *ex.task, spec, outcome.step, lr};
    context.optimizer = ex.optimizer.get();
    for (size_t i = 0; i < ex.probes.size(); ++i) {
      guarded(spec.probes[i].type, [&] {
        Json analysis = Json::object();
        ex.probes[i]->summarize(context, analysis);
        if (!analysis.empty()) summary[spec.probes[i].type] = analysis;
      });
    }
  }
  return summary;
}

}  // namespace phenom
