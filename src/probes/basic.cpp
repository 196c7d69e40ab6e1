// loss_accuracy, weight_norm, grad_norm, lr.
#include "probes/basic.h"

#include "models/model.h"
#include "probes/probe.h"
#include "tasks/task.h"
#include "train/experiment.h"
#include "train/loss.h"

namespace phenom {
namespace {

class LossAccuracy : public Probe {
 public:
  explicit LossAccuracy(const LossAccuracyOptions& o) : Probe(o.every), options_(o) {}
  void measure(ProbeContext& c, MetricRow& row) override {
    torch::NoGradGuard no_grad;
    c.model.eval();
    evaluate(c, c.task.train(), "train", row, c.train_logits);  // shared with the next training step, if any
    evaluate(c, c.task.test(), "test", row);
    c.model.train();
  }

 private:
  // Loss and accuracy over a split, in chunks of eval_batch_size; `logits_of_split` (the whole split's,
  // already computed) replaces the forward passes when defined.
  void evaluate(ProbeContext& c, const Split& split, const std::string& prefix, MetricRow& row,
                const torch::Tensor& logits_of_split = {}) {
    if (split.size() == 0) return;
    const int64_t n = split.size();
    const bool regression = split.targets.is_floating_point();  // no accuracy for real-valued targets
    const int64_t chunk = options_.eval_batch_size > 0 && !logits_of_split.defined() ? options_.eval_batch_size : n;
    torch::Tensor loss_sum = torch::zeros({}, torch::kDouble), correct = torch::zeros({}, torch::kLong);
    for (int64_t start = 0; start < n; start += chunk) {
      auto inputs = split.inputs.slice(0, start, start + chunk);
      auto targets = split.targets.slice(0, start, start + chunk);
      auto logits = logits_of_split.defined() ? logits_of_split : c.model.forward(inputs);
      loss_sum += compute_loss(c.spec.train.loss, logits, targets).to(torch::kCPU, torch::kDouble) * targets.size(0);
      if (!regression) correct += (logits.argmax(1) == targets).sum().to(torch::kCPU);
    }
    row.set(prefix + "/loss", loss_sum.item<double>() / n);
    if (!regression) row.set(prefix + "/acc", static_cast<double>(correct.item<int64_t>()) / n);
  }
  LossAccuracyOptions options_;
};

class WeightNorm : public Probe {
 public:
  explicit WeightNorm(const WeightNormOptions& o) : Probe(o.every), options_(o) {}
  void measure(ProbeContext& c, MetricRow& row) override {
    torch::NoGradGuard no_grad;
    double total = 0;
    std::vector<std::pair<std::string, double>> per_tensor;
    for (const auto& item : c.model.named_parameters()) {
      double squared = item.value().to(torch::kDouble).pow(2).sum().item<double>();
      total += squared;
      per_tensor.emplace_back("weight_norm/" + item.key(), std::sqrt(squared));
    }
    row.set("weight_norm", std::sqrt(total));
    if (options_.per_tensor) for (const auto& [n, v] : per_tensor) row.set(n, v);
  }

 private:
  WeightNormOptions options_;
};

class GradNorm : public Probe {
 public:
  using Probe::Probe;
  // The gradient of the most recent step (zero at step 0).
  void measure(ProbeContext& c, MetricRow& row) override {
    double total = 0;
    for (const auto& p : c.model.parameters()) {
      if (p.grad().defined()) total += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
    }
    row.set("grad_norm", std::sqrt(total));
  }
};

class LearningRate : public Probe {
 public:
  using Probe::Probe;
  void measure(ProbeContext& c, MetricRow& row) override { row.set("lr", c.lr); }
};

}  // namespace

std::unique_ptr<Probe> build_loss_accuracy(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<LossAccuracy>(dynamic_cast<const LossAccuracyOptions&>(o));
}
std::unique_ptr<Probe> build_weight_norm(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<WeightNorm>(dynamic_cast<const WeightNormOptions&>(o));
}
std::unique_ptr<Probe> build_grad_norm(const ProbeOptions& o, BuildContext&) { return std::make_unique<GradNorm>(o.every); }
std::unique_ptr<Probe> build_lr(const ProbeOptions& o, BuildContext&) { return std::make_unique<LearningRate>(o.every); }

}  // namespace phenom
