#include "models/capture.h"

#include <algorithm>

#include "core/error.h"
#include "core/text.h"
#include "models/model.h"

namespace phenom {

void require_hooks(Model& model, const std::vector<std::string>& hooks, const std::string& instrument) {
  const auto& known = model.hooks().names();
  for (const auto& hook : hooks) {
    if (std::find(known.begin(), known.end(), hook) == known.end()) {
      throw BadInput(instrument + ": the model has no hook point '" + hook + "'; its hooks: " + join(known) + ".");
    }
  }
}

HookAxes hook_axes(const std::string& hook, int64_t rank) {
  auto ends_with = [&](const std::string& suffix) {
    return hook.size() >= suffix.size() && hook.compare(hook.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (rank == 4 && (ends_with("hook_pattern") || ends_with("hook_attn_scores"))) return {2, 1};
  if (rank == 4 && (ends_with("hook_q") || ends_with("hook_k") || ends_with("hook_v") || ends_with("hook_z"))) {
    return {1, 2};
  }
  return {rank == 3 ? 1 : -1, -1};  // [B, T, D]; image feature maps [B, C, H, W] have no position
}

std::vector<torch::Tensor> activations_of(Model& model, const torch::Tensor& inputs,
                                          const std::vector<std::string>& hooks, const std::string& position,
                                          const std::string& instrument) {
  require_hooks(model, hooks, instrument);
  torch::NoGradGuard no_grad;
  for (const auto& hook : hooks) model.hooks().capture(hook);
  model.forward(inputs);
  std::vector<torch::Tensor> out;
  for (const auto& hook : hooks) {
    torch::Tensor x = model.hooks().cached(hook).detach();
    const int64_t axis = hook_axes(hook, x.dim()).position;
    if (axis >= 0) {
      x = x.movedim(axis, 1);  // [B, T, ...]
      if (position == "all") {
        x = x.flatten(0, 1);
      } else {
        const int64_t t = position == "last" ? x.size(1) - 1 : std::stoll(position);
        if (t >= x.size(1)) {
          model.hooks().clear();
          throw BadInput(instrument + ": position " + position + " is outside the " + std::to_string(x.size(1)) +
                         " positions of " + hook + ".");
        }
        x = x.select(1, t);
      }
    }
    out.push_back(x.reshape({x.size(0), -1}).to(torch::kCPU, torch::kDouble));
  }
  model.hooks().clear();
  return out;
}

}  // namespace phenom
