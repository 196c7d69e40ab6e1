// Phenomenon detectors: one line each.
#include "detectors/grokking.h"
#include "spec/component.h"

namespace phenom {

std::unique_ptr<Detector> build_grokking(const OptionsBase&, BuildContext&);

const std::vector<DetectorEntry>& detector_registry() {
  static const std::vector<DetectorEntry> registry = {
      {"grokking", "delayed generalisation: step_train, step_test, lag_ratio, test acc at step_train",
       make_options<OptionsBase, GrokkingOptions>, build_grokking},
  };
  return registry;
}

}  // namespace phenom
