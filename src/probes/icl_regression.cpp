// Per evaluation set (metric prefix `icl/` for `test`, `icl/<set>/` for `pretrain` and `fresh`),
// at every context length k = 0 .. n-1 (the pairs the prediction of y_{k+1} can read):
//   icl/error/k=K            mean (prediction - x.w)^2 / d against the noiseless target
//   icl/dist/<baseline>/k=K  mean (prediction - baseline's prediction)^2 / d
// The baselines are closed forms of the fixed evaluation prompts, computed once per run.
#include "probes/icl_regression.h"

#include <cmath>
#include <limits>

#include "core/build_context.h"
#include "core/seed.h"
#include "probes/icl_baselines.h"
#include "probes/probe.h"
#include "tasks/icl_regression_task.h"

namespace phenom {
namespace {

struct SetBaselines {
  std::string name, prefix;
  std::vector<IclBaseline> baselines;
  std::vector<std::vector<double>> errors;  // per baseline, per k
};

std::vector<double> per_k(const torch::Tensor& squared, int64_t d) {  // [N, n] -> mean over N / d
  const torch::Tensor mean = (squared.mean(0) / static_cast<double>(d)).contiguous();
  return std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
}

class IclRegression : public Probe {
 public:
  IclRegression(const IclRegressionProbeOptions& o, int64_t seed) : Probe(o.every), options_(o), seed_(seed) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    const auto& task = dynamic_cast<const IclRegressionTask&>(c.task);
    prepare(task);
    const int64_t d = task.options().dim;
    for (size_t s = 0; s < sets_.size(); ++s) {
      const auto& prompts = task.prompt_sets()[s].second;
      const torch::Tensor predicted = model_predictions(c, prompts);
      const std::vector<double> error = per_k((predicted - prompts.truth).pow(2), d);
      for (size_t k = 0; k < error.size(); ++k) row.set(sets_[s].prefix + "error/k=" + std::to_string(k), error[k]);
      for (const auto& b : sets_[s].baselines) {
        const std::vector<double> dist = per_k((predicted - b.predictions).pow(2), d);
        for (size_t k = 0; k < dist.size(); ++k) {
          row.set(sets_[s].prefix + "dist/" + b.name + "/k=" + std::to_string(k), dist[k]);
        }
      }
    }
  }

  // Under icl_regression in summary.json (keys of sets other than `test` prefixed `<set>/`): the
  // model's error curve and its standard error over prompts, each baseline's error curve, the
  // distance curve to each baseline (dist/<b>) and its value at the last position
  // (dist_at_last/<b>, with error_at_last and baseline_error_at_last/<b>), the nearest baseline at each k, error_at_d, error_at_2d (when the prompt is that long),
  // max_error_after_d, and below_ols_max = max_k (ols error - model error), how far the model
  // beats least squares anywhere (least squares is Bayes-optimal without noise).
  void summarize(ProbeContext& c, Json& out) override {
    const auto& task = dynamic_cast<const IclRegressionTask&>(c.task);
    prepare(task);
    const int64_t d = task.options().dim, n = task.options().n_points;
    for (size_t s = 0; s < sets_.size(); ++s) {
      const auto& prompts = task.prompt_sets()[s].second;
      const torch::Tensor predicted = model_predictions(c, prompts);
      const torch::Tensor squared = (predicted - prompts.truth).pow(2);
      const std::vector<double> error = per_k(squared, d);
      const torch::Tensor sem =
          (squared.std(0) / (static_cast<double>(d) * std::sqrt(static_cast<double>(squared.size(0))))).contiguous();
      const std::string key = sets_[s].name == "test" ? "" : sets_[s].name + "/";
      out[key + "error"] = error;
      out[key + "error_sem"] = std::vector<double>(sem.data_ptr<double>(), sem.data_ptr<double>() + sem.numel());
      Json baselines = Json::object(), nearest = Json::array();
      double below_ols = -std::numeric_limits<double>::infinity(), after_d = 0;
      for (size_t b = 0; b < sets_[s].baselines.size(); ++b) {
        baselines[sets_[s].baselines[b].name] = sets_[s].errors[b];
        if (sets_[s].baselines[b].name == "ols") {
          for (int64_t k = 0; k < n; ++k) below_ols = std::max(below_ols, sets_[s].errors[b][k] - error[k]);
        }
      }
      std::vector<std::vector<double>> dists;
      for (const auto& b : sets_[s].baselines) {
        dists.push_back(per_k((predicted - b.predictions).pow(2), d));
      }
      for (int64_t k = 0; k < n; ++k) {
        size_t best = 0;
        for (size_t b = 1; b < dists.size(); ++b) if (dists[b][k] < dists[best][k]) best = b;
        nearest.push_back(sets_[s].baselines[best].name);
        if (k > d) after_d = std::max(after_d, error[k]);
      }
      for (size_t b = 0; b < dists.size(); ++b) {
        out[key + "dist/" + sets_[s].baselines[b].name] = dists[b];
        out[key + "dist_at_last/" + sets_[s].baselines[b].name] = dists[b].back();
        out[key + "baseline_error_at_last/" + sets_[s].baselines[b].name] = sets_[s].errors[b].back();
      }
      out[key + "error_at_last"] = error.back();
      out[key + "baseline_error"] = baselines;
      out[key + "nearest"] = nearest;
      if (d < n) out[key + "error_at_d"] = error[d];
      if (2 * d < n) out[key + "error_at_2d"] = error[2 * d];
      if (d + 1 < n) out[key + "max_error_after_d"] = after_d;
      out[key + "below_ols_max"] = below_ols;
      if (2 * d < n) out[key + "nearest_at_2d"] = nearest[2 * d];
    }
  }

 private:
  // The baselines of every evaluation set, once: the sets are fixed for the whole run.
  void prepare(const IclRegressionTask& task) {
    if (!sets_.empty()) return;
    const int64_t d = task.options().dim;
    for (const auto& [name, prompts] : task.prompt_sets()) {
      SetBaselines set{name, name == "test" ? "icl/" : "icl/" + name + "/", {}, {}};
      set.baselines = icl_baselines(prompts.x, prompts.y, task.options().noise, task.pool(), options_.neighbours);
      if (options_.reference_pool > 0) {
        set.baselines.push_back(
            {"dmmse_ref", predict_pool_posterior_mean(prompts.x, prompts.y, reference_pool(d), task.options().noise)});
      }
      for (const auto& b : set.baselines) set.errors.push_back(per_k((b.predictions - prompts.truth).pow(2), d));
      sets_.push_back(std::move(set));
    }
  }

  // The same tasks for every evaluation set and measurement: a generator of the probe stream.
  torch::Tensor reference_pool(int64_t d) const {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed_, Stream::kProbe, 0x7265660aULL));
    return torch::randn({options_.reference_pool, d}, generator, torch::kDouble);
  }

  static torch::Tensor model_predictions(ProbeContext& c, const IclRegressionTask::Prompts& prompts) {
    return IclRegressionTask::predictions(c.logits(prompts.batch)).to(torch::kCPU, torch::kDouble);
  }

  IclRegressionProbeOptions options_;
  int64_t seed_;
  std::vector<SetBaselines> sets_;
};

}  // namespace

std::unique_ptr<Probe> build_icl_regression(const ProbeOptions& o, BuildContext& context) {
  return std::make_unique<IclRegression>(dynamic_cast<const IclRegressionProbeOptions&>(o), context.spec.seed);
}

}  // namespace phenom
