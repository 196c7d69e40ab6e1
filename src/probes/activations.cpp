#include "probes/activations.h"

#include <algorithm>

#include "core/error.h"
#include "core/text.h"
#include "models/capture.h"
#include "models/model.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {

const Batch& evaluation_set(ProbeContext& c, const std::string& set, const std::string& instrument) {
  if (const Batch* found = c.task.eval_set(set)) return *found;
  std::vector<std::string> names;
  for (const auto& s : c.task.eval_sets()) names.push_back(s.name);
  throw BadInput(instrument + ": the task has no evaluation set '" + set + "'; it has " + join(names) + ".");
}

Batch first_examples(ProbeContext& c, const std::string& set, int64_t examples, const std::string& instrument) {
  const Batch& all = evaluation_set(c, set, instrument);
  if (examples > all.size()) {
    throw BadInput(instrument + ": examples " + std::to_string(examples) + " exceeds the " + std::to_string(all.size()) +
                   " examples of the set '" + set + "'; use at most " + std::to_string(all.size()) + ", or 0 for all.");
  }
  return examples > 0 ? all.rows(0, examples) : all;
}

Batch leading_examples(ProbeContext& c, const std::string& set, int64_t at_most, const std::string& instrument) {
  const Batch& all = evaluation_set(c, set, instrument);
  return all.rows(0, std::min(at_most, all.size()));
}

void require_hooks(ProbeContext& c, const std::vector<std::string>& hooks, const std::string& instrument) {
  require_hooks(c.model, hooks, instrument);
}

std::vector<torch::Tensor> activations(ProbeContext& c, const std::vector<std::string>& hooks,
                                       const ActivationRequest& r) {
  const Batch set = leading_examples(c, r.set, r.max_examples, r.instrument);
  return activations_of(c.model, set.inputs, hooks, r.position, r.instrument);
}

}  // namespace phenom
