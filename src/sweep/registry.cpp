// Sweep-level detectors: one line each. `phenom list sweep_phenomena` comes from here.
#include "spec/component.h"
#include "sweep/detector.h"
#include "sweep/trend.h"

namespace phenom {

std::unique_ptr<SweepDetector> build_trend(const OptionsBase&);

const std::vector<SweepDetectorEntry>& sweep_detector_registry() {
  static const std::vector<SweepDetectorEntry> registry = {
      {"trend", "a run summary value along one swept key: mean/min/max per value, monotone?, Spearman rho",
       make_options<OptionsBase, TrendOptions>, build_trend},
  };
  return registry;
}

}  // namespace phenom
