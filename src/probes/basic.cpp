// loss_accuracy, weight_norm, grad_norm, lr.
#include "probes/basic.h"

#include "core/build_context.h"
#include "models/model.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class LossAccuracy : public Probe {
 public:
  explicit LossAccuracy(const LossAccuracyOptions& o) : Probe(o.every), options_(o) {}
  // Every evaluation set of the task: `split: train` only the training set, `split: test` the
  // others (test, or a sequence task's pretrain and fresh sets).
  void measure(ProbeContext& c, MetricRow& row) override {
    for (const EvalSet& set : c.task.eval_sets()) {
      const bool train = set.name == "train";
      const ScoredSplits only = options_.split;
      if ((only == ScoredSplits::kTrain && !train) || (only == ScoredSplits::kTest && train)) continue;
      evaluate(c, *set.batch, set.name, row);
    }
  }

 private:
  // Loss and accuracy over a set, from its outputs (shared with other probes and, for the train
  // split in full-batch training, with the next training step).
  void evaluate(ProbeContext& c, const Batch& set, const std::string& prefix, MetricRow& row) {
    if (set.size() == 0) return;
    const Score score = c.task.score(c.spec.train.loss, c.logits(set, options_.eval_batch_size), set);
    row.set(prefix + "/loss", score.loss);
    if (score.accuracy) row.set(prefix + "/acc", *score.accuracy);
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
  // The gradient of the most recent step; missing before the first step (there is none yet).
  void measure(ProbeContext& c, MetricRow& row) override {
    double total = 0;
    bool any = false;
    for (const auto& p : c.model.parameters()) {
      if (!p.grad().defined()) continue;
      any = true;
      total += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
    }
    if (any) row.set("grad_norm", std::sqrt(total));
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
