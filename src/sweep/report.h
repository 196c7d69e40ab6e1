// A detector's result (JSON) as the console shows it: its verdict and scalars on one line, its
// point lists as aligned tables.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace phenom {

// Warnings for detector statistics that are steps (step_train, step_test, ...) and agree exactly in
// every seed of a group: the seeds' spread is below the measurement cadence. `rows`: (the group,
// i.e. the values of the swept keys other than seed; a run's summary.json).
std::vector<std::string> cadence_warnings(const std::vector<std::pair<std::string, nlohmann::ordered_json>>& rows);

std::string readable_result(const std::string& name, const nlohmann::ordered_json& result, int indent = 2);

}  // namespace phenom
