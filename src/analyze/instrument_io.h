// What `phenom analyze` gives instruments beyond one checkpoint, and what it keeps of theirs:
// other checkpoints' activations (a reference run's model on this run's inputs) and exports.
#pragma once
#include <map>
#include <string>

#include "probes/probe.h"

namespace phenom {

class RunArtifact;

// ProbeContext::reference_activations for instruments analysing `run`: opens the reference run
// (`this`: `run` itself; BadInput when it is none, lacks the checkpoint, or reads inputs of another
// shape).
decltype(ProbeContext::reference_activations) reference_activations(const RunArtifact& run);
decltype(ProbeContext::reference_checkpoints) reference_checkpoints(const RunArtifact& run);

// Writes one computation's exports under exports/step_<N>.<key>/<name>/ (each file atomically,
// before its results row says they exist); returns that directory, relative to `out`.
std::string write_exports(const std::string& out, int64_t step, const std::string& key,
                          const std::map<std::string, Export>& exports);

}  // namespace phenom
