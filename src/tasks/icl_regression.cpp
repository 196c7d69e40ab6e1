#include "tasks/icl_regression.h"

#include <ATen/CPUGeneratorImpl.h>
#include <unistd.h>

#include "core/build_context.h"
#include "core/seed.h"
#include "ops/loss.h"
#include "tasks/icl_regression_task.h"

namespace phenom {

int64_t IclRegressionOptions::dims_at(int64_t step) const {
  if (curriculum_every <= 0 || curriculum_dims_start <= 0) return dim;
  return std::min(dim, curriculum_dims_start + (step / curriculum_every) * curriculum_dims_step);
}

int64_t IclRegressionOptions::points_at(int64_t step) const {
  if (curriculum_every <= 0 || curriculum_points_start <= 0) return n_points;
  return std::min(n_points, curriculum_points_start + (step / curriculum_every) * curriculum_points_step);
}

InputSpec IclRegressionOptions::inputs() const {
  InputSpec spec;
  spec.kind = InputSpec::Kind::kVectors;
  spec.seq_len = 2 * n_points;  // x_1, y_1, ..., x_n, y_n
  spec.feature_dim = dim + 1;   // [0, x] and [y, 0, ..., 0]
  spec.num_classes = 1;
  spec.regression = true;
  spec.per_position = true;
  return spec;
}

double IclRegressionOptions::eval_bytes() const {
  const double sets = task_pool.full() ? 1 : 2;
  // Per prompt: x, the encoded sequence, y, truth, six baselines' and the model's predictions.
  const double per_prompt = static_cast<double>(n_points) * (dim + 2 * (dim + 1) + 2 + 7) * 8;
  return sets * static_cast<double>(eval_prompts) * per_prompt;
}

void IclRegressionOptions::check(std::vector<std::pair<std::string, std::string>>& problems) const {
  if (curriculum_dims_start > dim) {
    problems.push_back({"curriculum_dims_start", "starts at " + std::to_string(curriculum_dims_start) +
                                                     " dimensions, above the task's dim " + std::to_string(dim) +
                                                     ". Fix: start at or below dim."});
  }
  if (curriculum_points_start > n_points) {
    problems.push_back({"curriculum_points_start", "starts at " + std::to_string(curriculum_points_start) +
                                                       " pairs, above the task's n_points " + std::to_string(n_points) +
                                                       ". Fix: start at or below n_points."});
  }
  if (curriculum_every == 0 && (curriculum_dims_start > 0 || curriculum_points_start > 0)) {
    problems.push_back({"curriculum_every", "a curriculum start is set but curriculum_every is 0, so it never "
                                            "grows. Fix: set curriculum_every (e.g. 250), or remove the starts."});
  }
  const double pages = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  const double bytes = eval_bytes();
  if (pages > 0 && bytes > 0.25 * pages) {
    problems.push_back({"eval_prompts", std::to_string(eval_prompts) + " prompts need about " +
                                            std::to_string(static_cast<int64_t>(bytes / (1 << 20))) +
                                            " MiB for the evaluation sets and their baselines, more than a quarter "
                                            "of this machine's memory (" +
                                            std::to_string(static_cast<int64_t>(pages / (1 << 20))) +
                                            " MiB). Fix: lower eval_prompts (1,000-2,000 is usual)."});
  }
}

IclRegressionTask::IclRegressionTask(const IclRegressionOptions& o, BuildContext& context)
    : options_(o), seed_(context.spec.train.batch_seed(context.spec.seed)), device_(context.device), dtype_(context.dtype) {
  batch_size_ = context.spec.train.batch_size.n;
  if (!o.task_pool.full()) pool_ = torch::randn({o.task_pool.n, o.dim}, context.data, torch::kDouble);
  if (o.task_pool.full()) {
    sets_.emplace_back("test", draw(o.eval_prompts, o.dim, o.n_points, false, context.data));
  } else {
    sets_.emplace_back("pretrain", draw(o.eval_prompts, o.dim, o.n_points, true, context.data));
    sets_.emplace_back("fresh", draw(o.eval_prompts, o.dim, o.n_points, false, context.data));
  }
}

IclRegressionTask::Prompts IclRegressionTask::draw(int64_t count, int64_t dims, int64_t points, bool from_pool,
                                                   torch::Generator& generator) const {
  const int64_t d = options_.dim;
  Prompts p;
  torch::Tensor w = from_pool ? pool_.index_select(0, torch::randint(pool_.size(0), {count}, generator, torch::kLong))
                              : torch::randn({count, d}, generator, torch::kDouble);
  p.x = torch::randn({count, points, d}, generator, torch::kDouble);
  if (dims < d) p.x.slice(2, dims).zero_();  // the curriculum zeroes x's extra dimensions, not w's
  p.truth = torch::matmul(p.x, w.unsqueeze(-1)).squeeze(-1);  // [count, points]
  p.y = p.truth + options_.noise * torch::randn({count, points}, generator, torch::kDouble);
  torch::Tensor sequence = torch::zeros({count, points, 2, d + 1}, torch::kDouble);
  sequence.select(2, 0).slice(2, 1).copy_(p.x);                 // [0, x]
  sequence.select(2, 1).select(2, 0).copy_(p.y);                // [y, 0, ..., 0]
  p.batch.inputs = sequence.view({count, 2 * points, d + 1}).to(device_, dtype_);
  p.batch.targets = p.y.to(device_, dtype_);
  return p;
}

Batch IclRegressionTask::batch(int64_t step) {
  // A fresh generator per step: the stream is a pure function of (seed, step).
  auto generator = at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed_, Stream::kBatch, step));
  return draw(batch_size_, options_.dims_at(step), options_.points_at(step), !options_.task_pool.full(), generator)
      .batch;
}

std::vector<EvalSet> IclRegressionTask::eval_sets() const {
  std::vector<EvalSet> out;
  for (const auto& [name, prompts] : sets_) out.push_back({name, &prompts.batch});
  return out;
}

torch::Tensor IclRegressionTask::predictions(const torch::Tensor& outputs) {
  return outputs.select(2, 0).slice(1, 0, outputs.size(1), 2);  // x positions: 0, 2, ..., 2n - 2
}

torch::Tensor IclRegressionTask::loss(Loss, const torch::Tensor& outputs, const Batch& batch) const {
  return position_mse(predictions(outputs), batch.targets, batch.weights);
}

Score IclRegressionTask::score(Loss loss_name, const torch::Tensor& outputs, const Batch& batch) const {
  torch::NoGradGuard no_grad;
  return {loss(loss_name, outputs, batch).item<double>(), std::nullopt};
}

void IclRegressionTask::describe(nlohmann::ordered_json& out) const {
  out["dim"] = options_.dim;
  out["n_points"] = options_.n_points;
  out["task_pool"] = options_.task_pool.full() ? nlohmann::ordered_json("inf") : nlohmann::ordered_json(options_.task_pool.n);
  out["eval_prompts"] = options_.eval_prompts;
}

std::unique_ptr<Task> build_icl_regression(const TaskOptions& options, BuildContext& context) {
  return std::make_unique<IclRegressionTask>(dynamic_cast<const IclRegressionOptions&>(options), context);
}

}  // namespace phenom
