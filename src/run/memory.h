// Refuses, before anything is built, a run that cannot fit in this machine's memory (torch-free).
#pragma once
#include <string>
#include <vector>

#include "spec/spec.h"

namespace phenom {

// What a spec holds at least, in bytes, by part: parameters (weights and gradients), the
// activations of one step's batch, and the task's data.
struct MemoryEstimate {
  double parameters = 0, activations = 0, data = 0;
  double parameter_count = 0;  // the model's weights, as numbers
  double total() const { return parameters + activations + data; }
};
MemoryEstimate estimate_memory(const Spec& spec);

// The memory this process may use: physical memory, or its cgroup's limit (a Slurm job's) when lower.
// `what` says which of the two it is.
double memory_limit_bytes(std::string* what = nullptr);

// Throws a located SpecError (exit 2) when the estimate exceeds `limit_bytes` (the spec's device
// memory is not known here: call it for CPU runs).
void check_memory(const Spec& spec, const std::vector<std::string>& overrides, double limit_bytes,
                  const std::string& limit_what);
// The same against memory_limit_bytes().
void check_memory(const Spec& spec, const std::vector<std::string>& overrides);

}  // namespace phenom
