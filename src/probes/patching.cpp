// patching/clean and patching/corrupted (the metric on each run); per hook patching/<hook>/recovered
// (the whole activation patched), and with positions or heads best_position, best_head and their
// recovered fraction; tensors patching/<hook>/{by_position [T], by_head [H], by_position_head [T, H]}.
#include "probes/patching.h"

#include <cmath>

#include "core/error.h"
#include "core/seed.h"
#include "models/model.h"
#include "probes/activations.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Patching : public Probe {
 public:
  explicit Patching(const PatchingOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    require_hooks(c, o_.hooks, "patching");
    evaluation_set(c, o_.set, "patching");
    const auto names = c.task.contrasts();
    const std::string name = o_.contrast.empty() && !names.empty() ? names.front() : o_.contrast;
    const Contrast pair = c.task.contrast(name, o_.set, o_.max_examples, derive_seed(c.spec.seed, Stream::kProbe, 0x7061));
    torch::NoGradGuard no_grad;
    for (const auto& hook : o_.hooks) c.model.hooks().capture(hook);
    const double clean = metric(c, pair, c.model.forward(pair.clean.inputs));
    const std::map<std::string, torch::Tensor> cache = c.model.hooks().cache();
    c.model.hooks().clear();
    const double corrupted = metric(c, pair, c.model.forward(pair.corrupted.inputs));
    row.set("patching/clean", clean);
    row.set("patching/corrupted", corrupted);
    if (std::abs(clean - corrupted) < 1e-12) return;  // nothing to recover: the contrast changes nothing
    auto recovered = [&](const std::string& hook, std::vector<std::pair<int64_t, int64_t>> at) {
      Intervention patch{Intervention::Kind::kReplace, cache.at(hook), {}, std::move(at), {}};
      c.model.hooks().intervene(hook, std::move(patch));
      const torch::Tensor outputs = c.model.forward(pair.corrupted.inputs);
      c.model.hooks().clear();
      return (metric(c, pair, outputs) - corrupted) / (clean - corrupted);
    };
    for (const auto& hook : o_.hooks) {
      const std::string p = "patching/" + hook + "/";
      row.set(p + "recovered", recovered(hook, {}));
      const torch::Tensor& activation = cache.at(hook);
      const HookAxes axes = hook_axes(hook, activation.dim());
      const int64_t T = axes.position >= 0 && o_.per_position ? activation.size(axes.position) : 0;
      const int64_t H = axes.head >= 0 && o_.per_head ? activation.size(axes.head) : 0;
      if (T > 0) {
        torch::Tensor by = torch::empty({T}, torch::kDouble);
        for (int64_t t = 0; t < T; ++t) by[t] = recovered(hook, {{axes.position, t}});
        keep(c, row, p, "position", by);
      }
      if (H > 0) {
        torch::Tensor by = torch::empty({H}, torch::kDouble);
        for (int64_t h = 0; h < H; ++h) by[h] = recovered(hook, {{axes.head, h}});
        keep(c, row, p, "head", by);
      }
      if (T > 0 && H > 0 && c.tensors) {
        torch::Tensor by = torch::empty({T, H}, torch::kDouble);
        for (int64_t t = 0; t < T; ++t) {
          for (int64_t h = 0; h < H; ++h) by[t][h] = recovered(hook, {{axes.position, t}, {axes.head, h}});
        }
        (*c.tensors)[p + "by_position_head"] = by.to(torch::kFloat).contiguous();
      }
    }
  }

 private:
  // The metric on one run's outputs: the mean logit difference between the clean and the corrupted
  // answer, or minus the task's loss against the clean targets (higher is cleaner for both).
  double metric(ProbeContext& c, const Contrast& pair, const torch::Tensor& outputs) const {
    if (o_.metric == PatchingMetric::kLoss) return -c.task.score(c.spec.train.loss, outputs, pair.clean).loss;
    const torch::Tensor& good = pair.clean.targets;
    const torch::Tensor& bad = pair.corrupted.targets;
    if (outputs.dim() != 2 || good.dim() != 1 || good.scalar_type() != torch::kLong) {
      throw BadInput("patching: metric logit_diff needs class targets and [N, classes] outputs; this task's outputs are " +
                     std::to_string(outputs.dim()) + "-d. Fix: metric: loss.");
    }
    const torch::Tensor diff = outputs.gather(1, good.unsqueeze(1)) - outputs.gather(1, bad.unsqueeze(1));
    return diff.to(torch::kDouble).mean().item<double>();
  }

  // The best index along an axis as metrics, the whole table as a tensor.
  static void keep(ProbeContext& c, MetricRow& row, const std::string& p, const std::string& axis,
                   const torch::Tensor& by) {
    const int64_t best = by.argmax().item<int64_t>();
    row.set(p + "best_" + axis, static_cast<double>(best));
    row.set(p + "best_" + axis + "_recovered", by[best].item<double>());
    if (c.tensors) (*c.tensors)[p + "by_" + axis] = by.to(torch::kFloat).contiguous();
  }

  PatchingOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_patching(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Patching>(dynamic_cast<const PatchingOptions&>(o));
}

}  // namespace phenom
