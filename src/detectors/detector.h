// Detectors turn a metric history into a phenomenon's statistics (summary.json, under their type).
#pragma once
#include <nlohmann/json.hpp>

#include "core/metrics.h"
#include "spec/spec.h"

namespace phenom {

using Json = nlohmann::ordered_json;

class Detector {
 public:
  virtual ~Detector() = default;
  virtual Json detect(const MetricHistory& history, const InputSpec& inputs) const = 0;
  // One human line for the end-of-run summary.
  virtual std::string describe(const Json& result) const = 0;
};

// A value of a summary.json by dotted path: "final.test/acc", "grokking.lag_ratio".
const Json* summary_value(const Json& summary, const std::string& path);

// Expectations (`expect:`) checked against summary.json.
struct ExpectationResult {
  std::string key, expected;
  Json actual;
  bool passed = false;
};
std::vector<ExpectationResult> check_expectations(const std::vector<Expectation>& expect, const Json& summary);
// Checks them and records the results in the summary: "expect" (one object per expectation) and
// "expectations_met". Returns the results.
std::vector<ExpectationResult> record_expectations(const std::vector<Expectation>& expect, Json& summary);

}  // namespace phenom
