// Protocols: one line per protocol.
#include "protocols/imp.h"
#include "spec/component.h"

namespace phenom {

const std::vector<ProtocolEntry>& protocol_registry() {
  static const std::vector<ProtocolEntry> registry = {
      {"imp", "iterative magnitude pruning with rewinding and its controls (lottery tickets)",
       make_options<OptionsBase, ImpOptions>},
  };
  return registry;
}

}  // namespace phenom
