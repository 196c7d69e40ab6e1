// A task owns its data and its objective: the training batch of every step (a pure function of
// (seed, step)), fixed evaluation sets drawn once from the data seed, and how a model's outputs
// are scored. Data lives on the device as whole tensors (no per-example loops, no DataLoader).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "spec/options.h"

namespace phenom {

struct BuildContext;

// The named tensors of a training batch or an evaluation set.
struct Batch {
  torch::Tensor inputs;   // tokens int64 [N, T]; features [N, D]; vectors [N, T, D]
  torch::Tensor targets;  // int64 [N] class ids; real [N]; per-position real [N, P]
  torch::Tensor weights;  // optional, per-position tasks: which predicted positions count, [P] or [N, P]
  int64_t size() const { return targets.defined() ? targets.size(0) : 0; }
  // Examples [begin, end) (views; per-position weights shared by every example stay whole).
  Batch rows(int64_t begin, int64_t end) const {
    Batch part{inputs.slice(0, begin, end), targets.slice(0, begin, end), weights};
    if (weights.defined() && weights.dim() == 2) part.weights = weights.slice(0, begin, end);
    return part;
  }
};

// Clean and corrupted versions of the same examples, row for row (activation patching): the
// corrupted inputs change one fact of each example (e.g. the operand a) and keep the others.
struct Contrast {
  Batch clean, corrupted;
};

struct EvalSet {
  std::string name;  // metric prefix: train/loss, test/acc, pretrain/loss, ...
  const Batch* batch;
};

// A task's evaluation of outputs on a set: the mean loss its objective takes, and the accuracy
// where the task has one.
struct Score {
  double loss = 0;
  std::optional<double> accuracy;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual InputSpec inputs() const = 0;
  // The training batch of optimizer step `step`: a pure function of (seed, step), so a resumed run
  // draws the same batches with no sampler state to save.
  virtual Batch batch(int64_t step) = 0;
  // The fixed batch every step trains on (full-batch training on a fixed split), else null: then a
  // measurement may share its forward pass with the next step's.
  virtual const Batch* fixed_batch() const { return nullptr; }
  // The fixed evaluation sets, in reporting order.
  virtual std::vector<EvalSet> eval_sets() const = 0;
  const Batch* eval_set(const std::string& name) const;  // null if the task has no such set
  const Batch& split(const std::string& name) const;     // throws if the task has no such set
  const Batch& train() const { return split("train"); }  // fixed-split tasks' sets by name
  const Batch& test() const { return split("test"); }
  // The objective (differentiable): train.loss of the model's outputs on a batch. The default takes
  // outputs [N, C] against class ids or [N, 1] against real targets (ops/loss.h).
  virtual torch::Tensor loss(Loss loss, const torch::Tensor& outputs, const Batch& batch) const;
  // Evaluation without a graph: the default is the fused class score (mean loss, argmax accuracy)
  // for class ids and the mean squared error, without accuracy, for real targets.
  virtual Score score(Loss loss, const torch::Tensor& outputs, const Batch& batch) const;
  // Named per-example facts of an evaluation set, [N] each (int64: classes; float: real values), that
  // instruments decode from activations (linear_probe). The default: `label`, the class targets.
  virtual std::map<std::string, torch::Tensor> attributes(const std::string& set) const;
  // The contrasts the task defines (by the fact they change, e.g. `a`), and one of them on the first
  // `examples` examples of a set, the corruption drawn from `seed`. The default: none.
  virtual std::vector<std::string> contrasts() const { return {}; }
  virtual Contrast contrast(const std::string& name, const std::string& set, int64_t examples, uint64_t seed) const;
  // Examples (times positions, for sequence tasks) per training step: the thread plan's work proxy.
  virtual int64_t examples_per_step() const = 0;
  // Facts about the data actually built (sizes, how many labels a corruption changed, closed-form
  // references); they go to summary.json under "data".
  virtual void describe(nlohmann::ordered_json& /*out*/) const {}
};

// A fixed train/test split. Minibatches are rows of the training split in an order that is a pure
// function of (seed, epoch): epoch e is a permutation drawn from a generator seeded by (seed, e).
class FixedSplitTask : public Task {
 public:
  explicit FixedSplitTask(const BuildContext& context);
  Batch batch(int64_t step) override;
  const Batch* fixed_batch() const override;
  std::vector<EvalSet> eval_sets() const override { return {{"train", &train_}, {"test", &test_}}; }
  int64_t examples_per_step() const override;

 protected:
  Batch train_, test_;

 private:
  int64_t batch_rows() const;  // rows per step: train.batch_size capped at the split
  int64_t seed_, batch_size_;  // batch_size_ 0: full batch
  int64_t epoch_ = -1;
  torch::Tensor order_;
};

}  // namespace phenom
