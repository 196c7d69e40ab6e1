// A sweep's jobs: the grid expanded into validated runs, and each job's state, including a job
// that failed before its run directory held anything (recorded by the sweep beside its log).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "run/artifact.h"
#include "spec/spec.h"
#include "sweep/detector.h"
#include "sweep/grid.h"
#include "sweep/sweep.h"

namespace phenom {

struct Job {
  int index = 0;
  std::vector<std::string> overrides;
  std::string spec_hash, run_dir;
};

struct SweepDetectors {
  std::vector<std::string> types;
  std::vector<std::unique_ptr<SweepDetector>> detectors;
};

// Expands and validates every job before anything runs (all problems at once, exit 2). Grid
// points that resolve to one spec are one job. A large grid reports its progress on stderr. On CPU,
// a job too large for this machine's memory is refused here too (not for --slurm and --index,
// whose jobs run elsewhere and check it there).
std::vector<Job> plan_jobs(const SweepRequest& request, std::string& name, SweepPlan& plan, SlurmOptions& slurm,
                           SweepDetectors& detectors);

// A job's state and summary: its run directory's, or `failed` with the sweep's record when the
// job exited with an error before writing a summary (e.g. refused before step 0).
RunState job_state(const Job& job, const std::string& sweep_dir);
nlohmann::ordered_json job_summary(const Job& job, const std::string& sweep_dir);
// Records (exit code, message) for a job that failed without a summary; a relaunch clears it.
void record_job_failure(const Job& job, const std::string& sweep_dir, int exit_code, const std::string& message);
void clear_job_failure(const Job& job, const std::string& sweep_dir);
// Another process holds the job's run directory (a second sweep, or `phenom run`, on it).
bool job_locked_elsewhere(const Job& job);

}  // namespace phenom
