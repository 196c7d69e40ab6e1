#include "probes/probe.h"

#include "models/model.h"
#include "tasks/task.h"

namespace phenom {

torch::Tensor ProbeContext::logits(const Batch& split, int64_t chunk) {
  for (const auto& [known, value] : computed_logits) {
    if (known == &split) return value;
  }
  torch::NoGradGuard no_grad;
  model.eval();
  const int64_t n = split.size(), rows = chunk > 0 ? chunk : std::max<int64_t>(n, 1);
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < n; start += rows) parts.push_back(model.forward(split.inputs.slice(0, start, start + rows)));
  model.train();
  torch::Tensor all = parts.size() == 1 ? parts.front() : torch::cat(parts);
  share_logits(split, all);
  return all;
}

void ProbeContext::share_logits(const Batch& split, torch::Tensor logits) {
  computed_logits.emplace_back(&split, logits.detach());
}

}  // namespace phenom
