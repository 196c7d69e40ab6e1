// Protocols: one line per protocol.
#include "protocols/imp.h"
#include "protocols/lmc_options.h"
#include "spec/component.h"

namespace phenom {

int run_imp(const Spec&, const RunRequest&);
int run_linear_mode_connectivity(const Spec&, const RunRequest&);

const std::vector<ProtocolEntry>& protocol_registry() {
  static const std::vector<ProtocolEntry> registry = {
      {"imp", "iterative magnitude pruning with rewinding and its controls (lottery tickets)",
       make_options<OptionsBase, ImpOptions>, run_imp},
      {"linear_mode_connectivity", "two copies trained with different batch orders and the error along the "
                                   "straight line between them (Frankle et al. 2020)",
       make_options<OptionsBase, LmcOptions>, run_linear_mode_connectivity},
  };
  return registry;
}

}  // namespace phenom
