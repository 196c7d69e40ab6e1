// The last check before a run directory exists: every probe measures the freshly built model once,
// in memory, and every metric that a detector, the stop condition or an expectation reads must be
// among those the run produces. A failure is a located SpecError (exit 2) with nothing created.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "train/experiment.h"

namespace phenom {

// The metric names a run of `ex` writes (those of a step-0 row, and the ones the loop adds later:
// train/batch_loss on a streamed task, fit/* for a closed-form fit). Throws SpecError naming the
// probe that cannot measure this model or task.
std::set<std::string> preflight_metrics(const Spec& spec, const std::vector<std::string>& overrides, Experiment& ex);

// preflight_metrics, then the metrics read by detectors (their `metric` and `*_metric` options),
// train.stop_train_acc and `final.*` expectations. The probes measured are built for the check
// alone and the global generators are restored, so the run's own step 0 is unchanged.
void preflight(const Spec& spec, const std::vector<std::string>& overrides, Experiment& ex);

}  // namespace phenom
