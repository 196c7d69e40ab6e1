// The sbatch job-array script of `phenom sweep --slurm` (slurm_script.cpp).
#pragma once
#include <string>

#include "sweep/sweep.h"

namespace phenom {

struct SlurmOptions;  // spec/spec.h

// s in single quotes for a POSIX shell.
std::string shell_quote(const std::string& s);

// Task i of the array runs `phenom sweep SPEC ARGS --index i` with the slurm options' resources.
std::string sbatch_script(const SweepRequest& request, const std::string& name, const SlurmOptions& slurm,
                          size_t jobs, const std::string& sweep_dir);

}  // namespace phenom
