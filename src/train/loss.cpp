#include "train/loss.h"

#include "core/cpu_loops.h"

namespace phenom {
namespace {

// mean over [B, C] of (x - onehot(y))^2 in one pass (sums in double), and its gradient
// 2 (x - onehot(y)) / (B C) in one pass. Under create_graph the gradient is built from LibTorch
// ops instead, so the loss stays twice differentiable.
struct ClassMse : torch::autograd::Function<ClassMse> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& logits,
                               const torch::Tensor& targets) {
    double total = 0;
    AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "class_mse", [&] {
      const scalar_t* __restrict x = logits.data_ptr<scalar_t>();
      const int64_t* y = targets.data_ptr<int64_t>();
      const int64_t B = logits.size(0), C = logits.size(1);
      for (int64_t b = 0; b < B; ++b) {
        const scalar_t* row = x + b * C;
        if (y[b] < 0 || y[b] >= C) {
          throw std::out_of_range("class target " + std::to_string(y[b]) + " outside [0, " + std::to_string(C) + ")");
        }
        // sum_c x_c^2 with four accumulators (vectorisable), then the target column's (x - 1)^2.
        double acc[4] = {0, 0, 0, 0};
        int64_t c = 0;
        for (; c + 4 <= C; c += 4) {
          for (int k = 0; k < 4; ++k) acc[k] += static_cast<double>(row[c + k]) * static_cast<double>(row[c + k]);
        }
        for (; c < C; ++c) acc[0] += static_cast<double>(row[c]) * static_cast<double>(row[c]);
        const double hot = static_cast<double>(row[y[b]]);
        total += (acc[0] + acc[1]) + (acc[2] + acc[3]) - hot * hot + (hot - 1.0) * (hot - 1.0);
      }
    });
    ctx->save_for_backward({logits, targets});
    return torch::tensor(total / static_cast<double>(logits.numel()), logits.options());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &logits = saved[0], &targets = saved[1];
    const double scale = 2.0 / static_cast<double>(logits.numel());
    if (torch::GradMode::is_enabled()) {
      auto one_hot = torch::one_hot(targets, logits.size(1)).to(logits.dtype());
      return {(logits - one_hot) * (grads[0] * scale), torch::Tensor()};
    }
    torch::Tensor d = torch::empty_like(logits);
    AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "class_mse_backward", [&] {
      const scalar_t* __restrict x = logits.data_ptr<scalar_t>();
      const int64_t* y = targets.data_ptr<int64_t>();
      scalar_t* __restrict out = d.data_ptr<scalar_t>();
      const int64_t n = logits.numel(), C = logits.size(1);
      const auto factor = static_cast<scalar_t>(scale * grads[0].item<double>());
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] * factor;
      for (int64_t b = 0; b < logits.size(0); ++b) out[b * C + y[b]] = (x[b * C + y[b]] - scalar_t(1)) * factor;
    });
    return {d, torch::Tensor()};
  }
};

bool fused_applicable(const torch::Tensor& logits, const torch::Tensor& targets) {
  return cpu_loop_dtype(logits) && logits.dim() == 2 && logits.is_contiguous() && targets.is_contiguous() &&
         targets.dim() == 1 && targets.scalar_type() == torch::kLong && targets.size(0) == logits.size(0);
}

}  // namespace

torch::Tensor compute_loss(const std::string& loss, const torch::Tensor& logits, const torch::Tensor& targets) {
  if (targets.is_floating_point()) return torch::mse_loss(logits.view_as(targets), targets);
  if (loss == "mse") {
    if (fused_applicable(logits, targets)) return ClassMse::apply(logits, targets);
    auto one_hot = torch::one_hot(targets, logits.size(1)).to(logits.dtype());
    return torch::mse_loss(logits, one_hot);
  }
  return torch::nn::functional::cross_entropy(logits, targets);
}

}  // namespace phenom
