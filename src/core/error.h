// Errors carry the exit code class; library code throws, only main() picks the exit code.
#pragma once
#include <stdexcept>
#include <string>

namespace phenom {

// Exit codes (DESIGN.md §4).
enum class ExitCode : int { kOk = 0, kRunFailed = 1, kBadInput = 2, kInterrupted = 130 };

// Bad input: spec, arguments, missing data, unwritable output. Exit code 2.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The run itself failed (diverged, internal failure). Exit code 1.
struct RunFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace phenom
