#include "protocols/protocol.h"

#include "spec/spec.h"

namespace phenom {

int run_spec(const RunRequest& request) {
  const Spec spec = load_spec(request.spec_path, request.overrides);  // SpecError -> exit 2
  if (spec.protocol.type == "imp") return run_imp(spec, request);
  return run_experiment(request);
}

}  // namespace phenom
