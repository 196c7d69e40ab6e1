// Phenomenon detectors: one line each.
#include "detectors/edge_of_stability.h"
#include "detectors/grokking.h"
#include "spec/component.h"

namespace phenom {

std::unique_ptr<Detector> build_grokking(const OptionsBase&, BuildContext&);
std::unique_ptr<Detector> build_edge_of_stability(const OptionsBase&, BuildContext&);

const std::vector<DetectorEntry>& detector_registry() {
  static const std::vector<DetectorEntry> registry = {
      {"grokking", "delayed generalisation: step_train, step_test, lag_ratio, test acc at step_train",
       make_options<OptionsBase, GrokkingOptions>, build_grokking},
      {"edge_of_stability", "sharpness against 2/lr: progressive sharpening, onset step, lambda_max/(2/lr) after "
                            "onset, loss monotonicity before and after (needs the hessian probe)",
       make_options<OptionsBase, EdgeOfStabilityOptions>, build_edge_of_stability},
  };
  return registry;
}

}  // namespace phenom
