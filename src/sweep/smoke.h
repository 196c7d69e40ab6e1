// `phenom smoke CONFIG...`: each spec shrunk to a few steps (a sweep to its first job, a protocol
// to its base run), run for real in child processes and checked: it builds, trains, writes
// every output, checkpoints, and resumes bit-identically. A JUnit XML report for CI.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace phenom {

struct SmokeRequest {
  std::vector<std::string> targets;  // spec files, or directories (every *.yaml under them)
  int64_t steps = 20;
  std::string junit;  // report file ("" none)
  std::string root;   // where the runs go ("" a temporary directory, removed when all pass)
  int threads = 0;    // per run (0: all cores, or a share of them with jobs > 1)
  int jobs = 1;       // specs smoked at once
  bool quiet = false;
};

// 0 when every spec passes, 1 when one fails; BadInput (exit 2) for bad arguments.
int run_smoke(const SmokeRequest& request);

// One spec's outcome (smoke_report.cpp writes them as JUnit XML).
struct SmokeCase {
  std::string file;
  double seconds = 0;
  std::vector<std::string> passed;  // the checks that passed, in order
  std::string failure_type;         // "" when it passed: spec, train, outputs, checkpoint, resume
  std::string failure_message;
  std::string details;  // the failing run's log tail
  bool ok() const { return failure_type.empty(); }
};

std::string junit_xml(const std::vector<SmokeCase>& cases, double seconds);

}  // namespace phenom
