#include "tasks/task.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/build_context.h"
#include "core/error.h"
#include "core/seed.h"
#include "core/text.h"
#include "ops/loss.h"

namespace phenom {

const Batch* Task::eval_set(const std::string& name) const {
  for (const auto& set : eval_sets()) if (set.name == name) return set.batch;
  return nullptr;
}

const Batch& Task::split(const std::string& name) const {
  if (const Batch* set = eval_set(name)) return *set;
  throw std::logic_error("the task has no evaluation set named '" + name + "'");
}

torch::Tensor Task::loss(Loss loss, const torch::Tensor& outputs, const Batch& batch) const {
  return compute_loss(loss, outputs, batch.targets);
}

Score Task::score(Loss loss, const torch::Tensor& outputs, const Batch& batch) const {
  const int64_t n = batch.size();
  if (n == 0) return {};
  if (batch.targets.is_floating_point()) {
    torch::NoGradGuard no_grad;
    return {compute_loss(loss, outputs, batch.targets).item<double>(), std::nullopt};
  }
  const ClassScore score = score_classes(loss, outputs, batch.targets);
  return {score.loss_sum / static_cast<double>(n), static_cast<double>(score.correct) / static_cast<double>(n)};
}

std::map<std::string, torch::Tensor> Task::attributes(const std::string& set) const {
  const Batch* b = eval_set(set);
  if (!b || !b->targets.defined() || b->targets.dim() != 1 || b->targets.scalar_type() != torch::kLong) return {};
  return {{"label", b->targets}};
}

Contrast Task::contrast(const std::string& name, const std::string& /*set*/, int64_t /*examples*/,
                        uint64_t /*seed*/) const {
  const auto names = contrasts();
  throw BadInput("this task defines no contrast '" + name + "'" +
                 (names.empty() ? std::string(" (it defines none: activation patching needs a task with clean and "
                                              "corrupted inputs, e.g. modular_arithmetic)")
                                : "; it defines: " + join(names)) + ".");
}

FixedSplitTask::FixedSplitTask(const BuildContext& context)
    : seed_(context.spec.train.batch_seed(context.spec.seed)), batch_size_(context.spec.train.batch_size.n) {}

int64_t FixedSplitTask::batch_rows() const {
  const int64_t n = train_.size();
  return batch_size_ == 0 ? n : std::min(batch_size_, n);
}

const Batch* FixedSplitTask::fixed_batch() const { return batch_rows() == train_.size() ? &train_ : nullptr; }

int64_t FixedSplitTask::examples_per_step() const { return batch_rows(); }

Batch FixedSplitTask::batch(int64_t step) {
  if (fixed_batch()) return train_;
  const int64_t n = train_.size(), size = batch_rows(), per_epoch = std::max<int64_t>(1, n / size);
  const int64_t epoch = step / per_epoch, index = step % per_epoch;
  if (epoch != epoch_) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed_, Stream::kBatch, epoch));
    order_ = torch::randperm(n, generator, torch::kLong).to(train_.inputs.device());
    epoch_ = epoch;
  }
  auto rows = order_.slice(0, index * size, (index + 1) * size);
  return {train_.inputs.index_select(0, rows), train_.targets.index_select(0, rows), {}};
}

}  // namespace phenom
