// summary.json of a run, before its expectations: status, timing, data and model sizes, final
// metric values, each detector's result (its one-line verdict into `verdicts`) and each probe's
// final analysis.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/metrics.h"
#include "train/trainer.h"

namespace phenom {

struct Spec;
struct Experiment;

nlohmann::ordered_json run_summary(const Spec& spec, Experiment& ex, const TrainOutcome& outcome,
                                   const MetricHistory& history, std::vector<std::string>& verdicts);

}  // namespace phenom
