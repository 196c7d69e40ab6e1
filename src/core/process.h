// Child processes of phenom itself (a sweep's jobs, a smoke test's runs).
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace phenom {

// Starts this binary with `args` (args[0] is the program name shown by ps), stdout and stderr
// appended to `log` (inherited when empty). Returns the child's pid.
pid_t spawn_self(const std::vector<std::string>& args, const std::string& log);

// An exit status as a shell reports it: the exit code, or 128 + the signal that ended it.
int exit_code_of(int wait_status);

// Runs this binary with `args` to the end; returns its exit code (as exit_code_of).
int run_self(const std::vector<std::string>& args, const std::string& log);

}  // namespace phenom
