// `phenom analyze RUN_DIR ANALYSIS.yaml [k=v ...] [--steps all|last|N,M]`: registered
// instruments on saved checkpoints, into RUN_DIR/analyses/<name>-<hash8>/ (analysis.yaml,
// results.jsonl, tensors/*.safetensors, summary.json, DONE, plots/). Never touches the run's own files.
#pragma once
#include <string>
#include <vector>

namespace phenom {

struct AnalyzeRequest {
  std::string target;     // a run directory, a sweep directory (every finished run in it), or a protocol directory
  std::string spec_path;  // the analysis spec
  std::vector<std::string> overrides;
  std::string steps;      // "" -> the spec's steps
  bool quiet = false;
  int threads = 0;        // CPU budget (0: all cores), as phenom run's --threads
  bool plot = true;       // figures into the analysis directory's plots/ (scripts/plot.py)
};

// Returns the exit code; throws SpecError / BadInput (exit 2) before writing anything.
int run_analysis(const AnalyzeRequest& request);

}  // namespace phenom
