// init_from: a run's model starts from another run's weights at a step (DESIGN.md §8 B).
#pragma once
#include <string>

namespace phenom {

struct Experiment;
struct Spec;

// The source's model system at init_from.step (task and model, no optimizer); an empty
// Experiment without init_from. Call it before building the run's own experiment, so that the
// run's global generator is seeded last. BadInput when the source has no checkpoint at that step
// (listing those it has), has not been run, or holds another spec now.
Experiment init_from_source(const Spec& spec);

// Copies the source's weights into the run's model (BadInput naming a mismatching tensor and both
// shapes). Does nothing when `source` is empty.
void apply_init_from(const Spec& spec, const Experiment& source, Experiment& ex);

}  // namespace phenom
