// `phenom run` on any spec: one run, or the multi-round protocol its `protocol:` section names
// (each round an ordinary run in the protocol's directory; DESIGN.md §8 B).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run/run.h"

namespace phenom {

struct Spec;

int run_spec(const RunRequest& request);

// A protocol's directory: each of its runs has its spec in specs/<name>.yaml and its directory in
// <name>/, and is run, resumed or reported like any run.
struct ProtocolRuns {
  std::string dir;
  const RunRequest& request;
  std::string label;  // the console's prefix, e.g. "imp"
  std::string path(const std::string& name) const { return dir + "/" + name; }
  // Writes the spec (unless unchanged) and runs it; returns the exit code (130: interrupted).
  int run(const std::string& name, const std::string& spec_text) const;
};
// The protocol's directory: --out, or runs/<name>/<hash>.
std::string protocol_dir(const Spec& spec, const RunRequest& request);
// `spec` as the run that other runs rewind to step `rewind` of (0: its initialisation, always
// there): a checkpoint kept at that step. BadInput (exit 2) when the step is after the end of
// training or the spec's own checkpoint cadence skips it.
Spec keeping_rewind_point(const Spec& spec, int64_t rewind);

// Protocols (one function each).
int run_imp(const Spec& spec, const RunRequest& request);
// The imp protocol's summary.json (rounds, the lottery-ticket signature, expectations) and DONE;
// returns the exit code. `sizes`: weights per prunable layer, for the density formula.
// `output`: the model's output layer (its own rate in the formula).
int write_imp_summary(const Spec& spec, const std::string& dir, const std::vector<nlohmann::ordered_json>& rounds,
                      const std::vector<std::pair<std::string, int64_t>>& sizes, const std::string& output, bool quiet);
int run_linear_mode_connectivity(const Spec& spec, const RunRequest& request);
// Figures of a finished protocol directory (a warning, not an error, when they cannot be drawn).
void plot_protocol(const std::string& dir, const RunRequest& request);

}  // namespace phenom
