// Activations captured at a model's hook points, one row per example (or per example and
// position), in float64 on the CPU: what the representation instruments (pca, cka, sae) and the
// activations task read. Needs only the model: no task, probe or run.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace phenom {

class Model;

// BadInput naming `instrument` and listing the model's hooks unless it has every one of `hooks`.
void require_hooks(Model& model, const std::vector<std::string>& hooks, const std::string& instrument);

// The position and head axes of a hook's activation (-1: none), by its TransformerLens
// name and rank: hook_pattern/hook_attn_scores [B, H, T, T] have heads on 1 and query positions
// on 2; hook_q/k/v/z [B, T, H, E] positions on 1 and heads on 2; other [B, T, D] positions on 1.
struct HookAxes {
  int64_t position = -1, head = -1;
};
HookAxes hook_axes(const std::string& hook, int64_t rank);

// One forward pass of `model` on `inputs` capturing every hook of `hooks`: per hook [rows,
// features], a row per example (or per example and position, for `position: all`; see
// models/position.h) and the other axes flattened (hook_z's heads concatenated).
std::vector<torch::Tensor> activations_of(Model& model, const torch::Tensor& inputs,
                                          const std::vector<std::string>& hooks, const std::string& position,
                                          const std::string& instrument);

}  // namespace phenom
