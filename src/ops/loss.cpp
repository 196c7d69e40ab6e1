#include "ops/loss.h"

#include "ops/cpu_loops.h"

#include <cmath>
#include <utility>
#include <vector>

namespace phenom {
namespace {

void check_class(int64_t target, int64_t classes) {
  if (target < 0 || target >= classes) {
    throw std::out_of_range("class target " + std::to_string(target) + " outside [0, " + std::to_string(classes) + ")");
  }
}

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
        check_class(y[b], C);
        total += squared_error_to_one_hot(x + b * C, C, y[b]);
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

// One example's squared error against one-hot(y), summed over classes (divided by C below), and
// whether its argmax (the first highest logit; a NaN counts as highest, as in LibTorch) is y.
template <typename T>
std::pair<double, bool> score_mse_row(const T* __restrict row, int64_t C, int64_t y) {
  const double loss = squared_error_to_one_hot(row, C, y);
  // The maximum in eight independent lanes (a select per lane vectorises; one chain does not), then
  // the first column holding it; a NaN counts as the highest logit (LibTorch's argmax).
  T lanes[8];
  for (int k = 0; k < 8; ++k) lanes[k] = row[0];
  int64_t c = 0;
  for (; c + 8 <= C; c += 8) {
    for (int k = 0; k < 8; ++k) lanes[k] = row[c + k] > lanes[k] ? row[c + k] : lanes[k];
  }
  for (; c < C; ++c) lanes[0] = row[c] > lanes[0] ? row[c] : lanes[0];
  T top = lanes[0];
  for (int k = 1; k < 8; ++k) top = lanes[k] > top ? lanes[k] : top;
  int64_t best = 0;
  if (std::isnan(loss)) {  // a NaN logit somewhere
    while (best < C && !std::isnan(row[best])) ++best;
    if (best == C) best = 0;
  }
  if (!std::isnan(row[best])) {
    while (best < C - 1 && row[best] != top) ++best;
  }
  return {loss, best == y};
}

}  // namespace

ClassScore score_classes(Loss loss, const torch::Tensor& logits, const torch::Tensor& targets) {
  ClassScore score;
  const int64_t B = logits.size(0);
  if (B == 0) return score;
  if (loss != Loss::kMse || !fused_applicable(logits, targets)) {
    score.loss_sum = compute_loss(loss, logits, targets).item<double>() * static_cast<double>(B);
    score.correct = (logits.argmax(1) == targets).sum().item<int64_t>();
    return score;
  }
  const int64_t C = logits.size(1), block = 256, blocks = (B + block - 1) / block;
  std::vector<double> loss_of(blocks, 0.0);
  std::vector<int64_t> correct_of(blocks, 0);
  AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "score_classes", [&] {
    const scalar_t* x = logits.data_ptr<scalar_t>();
    const int64_t* y = targets.data_ptr<int64_t>();
    at::parallel_for(0, blocks, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t k = lo; k < hi; ++k) {
        for (int64_t b = k * block; b < std::min(B, (k + 1) * block); ++b) {
          check_class(y[b], C);
          const auto [row_loss, hit] = score_mse_row(x + b * C, C, y[b]);
          loss_of[k] += row_loss;
          correct_of[k] += hit;
        }
      }
    });
  });
  for (int64_t k = 0; k < blocks; ++k) {
    score.loss_sum += loss_of[k];
    score.correct += correct_of[k];
  }
  score.loss_sum /= static_cast<double>(C);
  return score;
}

torch::Tensor position_mse(const torch::Tensor& predictions, const torch::Tensor& targets, const torch::Tensor& weights) {
  const torch::Tensor squared = (predictions - targets).pow(2);
  if (!weights.defined()) return squared.mean();
  const torch::Tensor w = weights.expand_as(squared).to(squared.dtype());
  return (squared * w).sum() / w.sum();
}

torch::Tensor compute_loss(Loss loss, const torch::Tensor& logits, const torch::Tensor& targets) {
  if (loss == Loss::kHalfSse) {  // 0.5 * sum over outputs, mean over examples: outputs/2 times the mean MSE
    const double outputs = targets.is_floating_point() ? static_cast<double>(logits.numel() / std::max<int64_t>(targets.size(0), 1))
                                                       : static_cast<double>(logits.size(1));
    return compute_loss(Loss::kMse, logits, targets) * (outputs / 2);
  }
  if (targets.is_floating_point()) return torch::mse_loss(logits.view_as(targets), targets);
  if (loss == Loss::kMse) {
    if (fused_applicable(logits, targets)) return ClassMse::apply(logits, targets);
    auto one_hot = torch::one_hot(targets, logits.size(1)).to(logits.dtype());
    return torch::mse_loss(logits, one_hot);
  }
  return torch::nn::functional::cross_entropy(logits, targets);
}

}  // namespace phenom
