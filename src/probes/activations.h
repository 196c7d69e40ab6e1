// Activations at hook points on a task's evaluation set, one row per example (or per example and
// position), in float64 on the CPU: what the representation instruments (pca, cka) read.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/capture.h"

namespace phenom {

struct ProbeContext;
class Model;
struct Batch;

struct ActivationRequest {
  std::string instrument;  // names the instrument in error messages
  std::string set = "test";
  std::string position = "last";  // sequence activations [B, T, D]: last, all, or an index
  int64_t max_examples = 4096;    // the first N examples of the set
};

// The task's evaluation set `set`, or BadInput naming `instrument` and the sets the task has.
const Batch& evaluation_set(ProbeContext& c, const std::string& set, const std::string& instrument);
// Its first `examples` examples in the set's fixed order (0: all), or BadInput naming `instrument`
// when the set has fewer.
Batch first_examples(ProbeContext& c, const std::string& set, int64_t examples, const std::string& instrument);
// Its first min(at_most, size) examples: what the instruments' `max_examples` selects.
Batch leading_examples(ProbeContext& c, const std::string& set, int64_t at_most, const std::string& instrument);
// BadInput naming `instrument` and listing the model's hooks unless it has every one of `hooks`.
void require_hooks(ProbeContext& c, const std::vector<std::string>& hooks, const std::string& instrument);

// activations_of (models/capture.h) on the leading examples of the task's evaluation set
// `request.set`. BadInput naming the model's hooks (or the task's sets) when one is wrong.
std::vector<torch::Tensor> activations(ProbeContext& c, const std::vector<std::string>& hooks,
                                       const ActivationRequest& request);
}  // namespace phenom
