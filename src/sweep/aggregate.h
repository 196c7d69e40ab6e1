// Aggregation of a sweep's runs (aggregate.cpp).
#pragma once
#include <string>
#include <vector>

#include "sweep/grid.h"
#include "sweep/jobs.h"
#include "sweep/sweep.h"

namespace phenom {

// Writes sweep.csv and summary.json into `sweep_dir` from the jobs' run summaries and prints the
// verdicts (unless quiet). Returns 0 when every job is done and every expectation holds, else 1.
int aggregate_sweep(const SweepRequest& request, const SweepPlan& plan, const std::vector<Job>& jobs,
                    const std::string& sweep_dir, const SweepDetectors& detectors, bool quiet);

}  // namespace phenom
