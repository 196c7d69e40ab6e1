#include "protocols/lmc.h"

#include <algorithm>
#include <torch/torch.h>

#include "core/error.h"
#include "models/model.h"
#include "probes/probe.h"
#include "run/artifact.h"
#include "spec/spec.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom {

using Json = nlohmann::ordered_json;

Json linear_path(const std::string& run_a, const std::string& run_b, int64_t alphas) {
  const RunArtifact a(run_a), b(run_b);
  const int64_t step_a = a.checkpoint_steps().back(), step_b = b.checkpoint_steps().back();
  Experiment ex = a.model_at(step_a, /*with_task=*/true);
  Experiment other = b.model_at(step_b, /*with_task=*/false);
  std::vector<torch::Tensor> params, from, to;
  auto theirs = other.model->named_parameters();
  for (const auto& p : ex.model->named_parameters()) {
    const torch::Tensor* q = theirs.find(p.key());
    if (!q || !q->sizes().equals(p.value().sizes())) {
      throw BadInput("linear mode connectivity: " + run_a + " and " + run_b + " differ in parameter " + p.key() +
                     ". Fix: compare two copies of one architecture.");
    }
    params.push_back(p.value());
    from.push_back(p.value().detach().clone());
    to.push_back(q->detach().to(p.value().device()).clone());
  }
  Json grid = Json::array(), error = Json::object(), instability = Json::object(), endpoints = Json::object();
  Json barrier = Json::object();
  std::map<std::string, std::vector<double>> curves;
  for (int64_t i = 0; i < alphas; ++i) {
    const double alpha = static_cast<double>(i) / static_cast<double>(alphas - 1);
    grid.push_back(alpha);
    {
      torch::NoGradGuard no_grad;
      for (size_t k = 0; k < params.size(); ++k) params[k].copy_(from[k] * (1 - alpha) + to[k] * alpha);
    }
    ProbeContext context{*ex.model, *ex.task, a.spec(), step_a, 0.0};
    for (const EvalSet& set : ex.task->eval_sets()) {
      if (set.batch->size() == 0) continue;
      const Score score = ex.task->score(a.spec().train.loss, context.logits(*set.batch), *set.batch);
      curves[set.name].push_back(score.accuracy ? 1.0 - *score.accuracy : score.loss);
    }
  }
  for (const auto& [name, curve] : curves) {
    const double ends = (curve.front() + curve.back()) / 2;
    error[name] = curve;
    instability[name] = *std::max_element(curve.begin(), curve.end()) - ends;
    endpoints[name] = {curve.front(), curve.back()};
    double above = 0;  // the barrier: the most the path rises above the straight line between its ends
    for (size_t i = 0; i < curve.size(); ++i) {
      const double alpha = grid[i].get<double>();
      above = std::max(above, curve[i] - ((1 - alpha) * curve.front() + alpha * curve.back()));
    }
    barrier[name] = above;
  }
  return {{"alphas", grid}, {"error", error}, {"instability", instability}, {"barrier", barrier},
          {"endpoint_error", endpoints}, {"runs", {run_a, run_b}}};
}

int run_lmc_copies(const ProtocolRuns& runs, const std::string& name, const Spec& base, const LmcStart& start,
                   int64_t alphas, const std::vector<double>& order_seeds, Json& out) {
  std::vector<std::string> dirs;
  for (double seed : order_seeds) {
    Spec copy = base;
    copy.train.order_seed = static_cast<int64_t>(seed);
    const std::string name_of_copy = name + "_lmc_" + std::to_string(copy.train.order_seed);
    const int code = runs.run(name_of_copy, derived_run_text(copy, start.run, start.step, start.mask));
    if (code != 0) return code;
    dirs.push_back(runs.path(name_of_copy));
  }
  out = linear_path(dirs[0], dirs[1], alphas);
  return 0;
}

}  // namespace phenom
