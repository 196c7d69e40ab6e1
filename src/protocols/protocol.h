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

// Protocols (one function each).
int run_imp(const Spec& spec, const RunRequest& request);
// The imp protocol's summary.json (rounds, the lottery-ticket signature, expectations) and DONE;
// returns the exit code. `sizes`: weights per prunable layer, for the density formula.
int write_imp_summary(const Spec& spec, const std::string& dir, const std::vector<nlohmann::ordered_json>& rounds,
                      const std::vector<std::pair<std::string, int64_t>>& sizes, bool quiet);

}  // namespace phenom
