// Activations at hook points on a task's evaluation set, one row per example (or per example and
// position), in float64 on the CPU: what the representation instruments (pca, cka) read.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace phenom {

struct ProbeContext;

struct ActivationRequest {
  std::string instrument;  // names the instrument in error messages
  std::string set = "test";
  std::string position = "last";  // sequence activations [B, T, D]: last, all, or an index
  int64_t max_examples = 4096;    // the first N examples of the set
};

// One forward pass capturing every hook of `hooks`; BadInput naming the model's hooks (or the
// task's sets) when one is wrong.
std::vector<torch::Tensor> activations(ProbeContext& c, const std::vector<std::string>& hooks,
                                       const ActivationRequest& request);

}  // namespace phenom
