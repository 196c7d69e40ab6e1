// Sweep-level detectors read the table of a sweep's runs (one row per done run: the swept values
// and the run's summary.json) and report a phenomenon across runs, e.g. a trend over a swept key
// or (later) a double-descent peak. Results go into the sweep's summary.json under their type.
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "detectors/detector.h"  // summary_value
#include "spec/component.h"
#include "spec/options.h"

namespace phenom {

struct SweepRow {
  std::map<std::string, std::string> swept;  // axis key -> value (as written in the override)
  nlohmann::ordered_json summary;             // the run's summary.json
};

class SweepDetector {
 public:
  virtual ~SweepDetector() = default;
  // Throws BadInput when the detector's keys do not fit this sweep (e.g. x is not swept).
  virtual void check(const std::vector<std::string>& axes) const = 0;
  virtual nlohmann::ordered_json detect(const std::vector<SweepRow>& rows) const = 0;
};

// Its registry entry (SweepDetectorEntry) and sweep_detector_registry() are declared with the
// other registries in spec/component.h.

}  // namespace phenom
