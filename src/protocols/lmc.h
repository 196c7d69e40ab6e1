// Linear mode connectivity (Frankle et al. 2020): two copies of a network trained from the same
// weights with different batch orders, and the error along the straight line between their final
// weights. instability = max over alpha of the error at (1 - alpha) theta_a + alpha theta_b minus the
// mean of the two endpoints' errors; near 0: the copies land in one linearly connected minimum.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocols/lmc_options.h"
#include "protocols/protocol.h"

namespace phenom {

// Where an LMC pair's copies start: init_from `run` at `step` ("" run: the spec's own
// initialisation), holding `mask` ("": none).
struct LmcStart {
  std::string run, step, mask;
};

// Trains the two copies <name>_lmc_<seed> of `base` (without its protocol) from `start`, one per
// train.order_seed in `order_seeds`, then measures the path between their last checkpoints into
// `out` (linear_path's layout). Returns the exit code: 0, 1 when a copy failed, 130 when interrupted.
int run_lmc_copies(const ProtocolRuns& runs, const std::string& name, const Spec& base, const LmcStart& start,
                   int64_t alphas, const std::vector<double>& order_seeds, nlohmann::ordered_json& out);

// The error along the path between two finished runs of one architecture, on every evaluation
// set of the first run's task (error = 1 - accuracy, or the loss where the task has no accuracy):
// {alphas, error: {set: [...]}, instability: {set: x}, barrier: {set: x}, endpoint_error: {set: [a, b]},
// runs}. barrier: the most the error rises above the straight line between the endpoints' errors
// (0 for a monotone path between copies of unequal error, whose instability is half their gap).
nlohmann::ordered_json linear_path(const std::string& run_a, const std::string& run_b, int64_t alphas);

}  // namespace phenom
