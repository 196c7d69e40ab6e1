// What `phenom analyze` reads: the runs a target directory names and the steps asked for.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace phenom {

class RunArtifact;

// The run directories a target names: itself, every run a sweep's manifest lists, or every run of
// a protocol directory (its rounds, controls and copies, by name). BadInput for anything else.
std::vector<std::string> target_runs(const std::string& target);
// The checkpoint steps `steps` (all | last | N,M,...) names, ascending; BadInput, listing the
// steps the run has, for one it does not have.
std::vector<int64_t> chosen_steps(const RunArtifact& run, const std::string& steps);

}  // namespace phenom
