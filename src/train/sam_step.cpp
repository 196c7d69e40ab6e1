// The second gradient of sharpness-aware minimisation, inside the one loop: the optimizer moves
// the parameters (Optimizer::ascend), the loop evaluates the batch there.
#include "models/model.h"
#include "optim/optimizer.h"
#include "spec/spec.h"
#include "tasks/task.h"
#include "train/experiment.h"
#include "train/trainer.h"

namespace phenom {

void Trainer::sharpness_aware_gradient(const torch::Tensor& loss, const Batch& batch) {
  Optimizer& optimizer = *ex_.optimizer;
  Model& model = *ex_.model;
  const int64_t n = batch.size(), m = optimizer.ascent().m;
  if (m == 0 || m >= n) {
    loss.backward();
    optimizer.ascend();
    optimizer.zero_grad();
    training_loss(model.forward(batch.inputs), batch).backward();
    return;
  }
  // m-sharpness: each sub-batch's gradient at its own w + e, weighted by its share of the batch.
  std::vector<torch::Tensor> sum;
  for (int64_t begin = 0; begin < n; begin += m) {
    const Batch part = batch.rows(begin, std::min(n, begin + m));
    optimizer.zero_grad();
    training_loss(model.forward(part.inputs), part).backward();
    optimizer.ascend();
    optimizer.zero_grad();
    training_loss(model.forward(part.inputs), part).backward();
    optimizer.restore();
    torch::NoGradGuard no_grad;
    const double share = static_cast<double>(part.size()) / static_cast<double>(n);
    const std::vector<torch::Tensor> grads = optimizer.gradients();
    if (sum.empty()) {
      for (const auto& g : grads) sum.push_back(g * share);
    } else {
      for (size_t i = 0; i < grads.size(); ++i) sum[i].add_(grads[i], share);
    }
  }
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> grads = optimizer.gradients();
  for (size_t i = 0; i < grads.size(); ++i) grads[i].copy_(sum[i]);
}

}  // namespace phenom
