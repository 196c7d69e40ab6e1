// Protocols: one line per protocol.
#include "protocols/imp.h"
#include "protocols/lmc_options.h"
#include "spec/component.h"

namespace phenom {

const std::vector<ProtocolEntry>& protocol_registry() {
  static const std::vector<ProtocolEntry> registry = {
      {"imp", "iterative magnitude pruning with rewinding and its controls (lottery tickets)",
       make_options<OptionsBase, ImpOptions>},
      {"linear_mode_connectivity", "two copies trained with different batch orders and the error along the "
                                   "straight line between them (Frankle et al. 2020)",
       make_options<OptionsBase, LmcOptions>},
  };
  return registry;
}

}  // namespace phenom
