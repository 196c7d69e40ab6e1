// An analysis spec (`phenom analyze RUN_DIR ANALYSIS.yaml`): which instruments to run on which
// checkpoints of a saved run. Typed and validated like a run spec (every problem at once, with
// key paths and file:line:col). The instruments are the registered probes that can run on a
// checkpoint: one implementation serves a run (at a cadence) and an analysis.
//
//   name: frequencies      # optional; default: the file's stem
//   steps: all             # all | last | [100, 1000, ...]; --steps on the command line wins
//   analyses:
//     - {type: fourier}
//     - {type: pca, hook: layers.0.hook_post, components: 8}
#pragma once
#include <string>
#include <vector>

#include "spec/component.h"

namespace phenom {

struct AnalysisSpec {
  std::string name;
  std::string steps = "last";  // all, last, or steps joined by commas ("100,1000")
  std::vector<Component<ProbeOptions>> analyses;
  std::string source;
};

// Throws SpecError with every problem.
AnalysisSpec load_analysis_spec(const std::string& path, const std::vector<std::string>& overrides = {});
AnalysisSpec load_analysis_spec_text(const std::string& yaml, const std::vector<std::string>& overrides = {},
                                     const std::string& source = "<analysis>", const std::string& default_name = "analysis");

// The resolved spec as YAML (analysis.yaml in the output directory).
std::string resolve_analysis_text(const AnalysisSpec& spec);
// What the output directory's hash covers: the instruments and their non-default options (not
// the steps: asking for more steps adds rows to the same directory).
std::string analysis_hash_text(const AnalysisSpec& spec);

// "all", "last" or a comma list of steps; "" when valid, else what is wrong.
std::string check_steps_text(const std::string& steps);

}  // namespace phenom
