// Activations at hook points on a task's evaluation set, one row per example (or per example and
// position), in float64 on the CPU: what the representation instruments (pca, cka) read.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

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
void require_hooks(Model& model, const std::vector<std::string>& hooks, const std::string& instrument);

// The position and head axes of a hook's activation (-1: none), by its TransformerLens
// name and rank: hook_pattern/hook_attn_scores [B, H, T, T] have heads on 1 and query positions
// on 2; hook_q/k/v/z [B, T, H, E] positions on 1 and heads on 2; other [B, T, D] positions on 1.
struct HookAxes {
  int64_t position = -1, head = -1;
};
HookAxes hook_axes(const std::string& hook, int64_t rank);

// One forward pass capturing every hook of `hooks`: per hook [rows, features], a row per example
// (or per example and position, for `position: all`) and the other axes flattened (hook_z's
// heads concatenated). BadInput naming the model's hooks (or the task's sets) when one is wrong.
std::vector<torch::Tensor> activations(ProbeContext& c, const std::vector<std::string>& hooks,
                                       const ActivationRequest& request);
// The same for any model on given inputs (a reference model on this run's examples).
std::vector<torch::Tensor> activations_of(Model& model, const torch::Tensor& inputs,
                                          const std::vector<std::string>& hooks, const std::string& position,
                                          const std::string& instrument);

}  // namespace phenom
