// The in-context regression task as the icl_regression probe sees it: its fixed evaluation prompts
// in plain form (x, in-context y, noiseless y) and its task pool.
#pragma once
#include <torch/torch.h>

#include "tasks/icl_regression.h"
#include "tasks/task.h"

namespace phenom {

struct BuildContext;

class IclRegressionTask : public Task {
 public:
  struct Prompts {
    torch::Tensor x;      // [N, n, d]
    torch::Tensor y;      // [N, n] the in-context targets, with noise
    torch::Tensor truth;  // [N, n] x . w, without noise
    Batch batch;          // the encoded sequences [N, 2n, d + 1] and targets y
  };
  IclRegressionTask(const IclRegressionOptions& options, BuildContext& context);

  InputSpec inputs() const override { return options_.inputs(); }
  Batch batch(int64_t step) override;
  std::vector<EvalSet> eval_sets() const override;
  torch::Tensor loss(Loss loss, const torch::Tensor& outputs, const Batch& batch) const override;
  Score score(Loss loss, const torch::Tensor& outputs, const Batch& batch) const override;
  int64_t examples_per_step() const override { return batch_size_ * 2 * options_.n_points; }
  void describe(nlohmann::ordered_json& out) const override;

  const IclRegressionOptions& options() const { return options_; }
  const std::vector<std::pair<std::string, Prompts>>& prompt_sets() const { return sets_; }
  const torch::Tensor& pool() const { return pool_; }  // [M, d], undefined for task_pool: inf
  // The model's predictions of y: its outputs [N, 2n, 1] read at the x positions -> [N, n].
  static torch::Tensor predictions(const torch::Tensor& outputs);

 private:
  // Draws `count` prompts of `points` pairs using the first `dims` dimensions of x; task vectors
  // from the pool (uniformly, with replacement) when `from_pool`, else fresh.
  Prompts draw(int64_t count, int64_t dims, int64_t points, bool from_pool, torch::Generator& generator) const;

  IclRegressionOptions options_;
  int64_t seed_ = 0, batch_size_ = 0;
  torch::Device device_;
  torch::Dtype dtype_;
  torch::Tensor pool_;
  std::vector<std::pair<std::string, Prompts>> sets_;
};

}  // namespace phenom
