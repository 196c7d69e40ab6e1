// `phenom run`: spec -> run directory -> trained model, summary and exit code.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace phenom {

struct RunRequest {
  std::string spec_path;
  std::vector<std::string> overrides;
  std::string out_dir;  // "" -> runs/<name>/<hash8>
  bool fresh = false;        // discard the run in that directory (never another process's, never a non-run)
  int threads = 0;      // 0 -> all cores
  bool quiet = false;
  bool plot = true;     // figures into plots/ at the end when matplotlib is available
  bool force_fresh = false;  // --fresh also in a directory phenom did not create (removes phenom's file names)
  int64_t stop_at = -1;      // checkpoint and stop at this step, as Ctrl-C would (exit 130); -1: never
};

// Returns the process exit code (0, 1, 130); throws SpecError / BadInput for exit code 2.
int run_experiment(const RunRequest& request);

}  // namespace phenom
