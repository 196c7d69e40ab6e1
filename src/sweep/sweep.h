// `phenom sweep`: one spec expanded into a frozen list of ordinary runs, executed as separate
// processes (--jobs N) or one job at a time (--index I), then aggregated.
#pragma once
#include <string>
#include <vector>

namespace phenom {

struct SweepRequest {
  std::string spec_path;
  std::vector<std::string> arguments;  // key=value, key=a,b,c, key=range(a,b)
  std::string root = "runs";           // sweep and run directories go under ROOT/<name>/
  int jobs = 1;
  int threads = 0;                     // budget for the whole sweep (0: all cores)
  bool fail_fast = false;
  bool status_only = false;
  bool aggregate_only = false;
  int index = -1;                      // run exactly this job of the manifest
  double expect_fraction = 1.0;        // a run-level expectation holds for the sweep when it passes in this fraction
  bool quiet = false;
  bool plot = true;        // --no-plot: no figures at the end
  std::string slurm_file;  // --slurm: write the sbatch array script here ("-": <sweep dir>/sweep.sbatch)
  bool submit = false;     // --submit: run sbatch on it
};

// Returns the exit code: 0 all jobs done and expectations met, 1 a job failed or an expectation
// is unmet, 130 interrupted. Throws SpecError / BadInput for bad input (exit 2).
int run_sweep(const SweepRequest& request);

}  // namespace phenom
