// A task owns its data as whole tensors on the device (no per-example loops, no DataLoader).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "spec/options.h"

namespace phenom {

struct Split {
  torch::Tensor inputs;   // tokens: int64 [N, T]; features: dtype [N, D]
  torch::Tensor targets;  // int64 [N] class labels; regression tasks: dtype [N] real targets
  int64_t size() const { return targets.defined() ? targets.size(0) : 0; }
};

class Task {
 public:
  virtual ~Task() = default;
  virtual const Split& train() const = 0;
  virtual const Split& test() const = 0;
  virtual InputSpec inputs() const = 0;
  // Facts about the data actually built (sizes, how many labels a corruption changed, closed-form
  // references); they go to summary.json under "data".
  virtual void describe(nlohmann::ordered_json& /*out*/) const {}
};

}  // namespace phenom
