// Sweep grids: the spec's `sweep:` block and command-line `key=a,b,c` / `key=range(a,b[,step])`
// expanded as a Cartesian product (torch-free).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace phenom {

struct Spec;

// The most jobs one sweep expands to: a larger grid is refused with its size before expanding.
inline constexpr uint64_t kMaxSweepJobs = 100000;

struct SweepAxis {
  std::string key;
  std::vector<std::string> values;  // YAML scalars / flow text, as an override's right-hand side
};

struct SweepPlan {
  std::vector<std::string> fixed;        // overrides applied to every job
  std::vector<SweepAxis> axes;           // in order: spec block first, then new command-line axes
  std::vector<std::vector<std::string>> jobs;  // per job: fixed + one value of every axis
};

// Splits command-line arguments into fixed overrides and axes (a value with top-level commas or
// range(...) is an axis); axes and fixed values on the command line replace the spec's.
// Throws BadInput for a malformed range or a grid of more than kMaxSweepJobs jobs.
SweepPlan plan_sweep(const std::vector<std::pair<std::string, std::vector<std::string>>>& spec_axes,
                     const std::vector<std::string>& arguments);

}  // namespace phenom
