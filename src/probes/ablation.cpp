// ablation/clean/{loss,acc} once, then per hook ablation/<hook>/{loss,acc,loss_increase,acc_drop};
// with per_unit, ablation/<hook>/unit_loss_increase (a tensor in analyses) and its maximum and argmax
// as metrics.
#include "probes/ablation.h"

#include <algorithm>

#include "models/model.h"
#include "probes/activations.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Ablation : public Probe {
 public:
  explicit Ablation(const AblationOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    const Batch set = examples(c);
    require_hooks(c, o_.hooks, "ablation");
    torch::NoGradGuard no_grad;
    const Score clean = score(c, set, "", {});
    row.set("ablation/clean/loss", clean.loss);
    if (clean.accuracy) row.set("ablation/clean/acc", *clean.accuracy);
    const auto kind = o_.mode == "zero" ? Intervention::Kind::kZero : Intervention::Kind::kMean;
    for (const auto& hook : o_.hooks) {
      const std::string p = "ablation/" + hook + "/";
      const Score ablated = score(c, set, hook, {kind, {}, {}});
      row.set(p + "loss", ablated.loss);
      row.set(p + "loss_increase", ablated.loss - clean.loss);
      if (ablated.accuracy && clean.accuracy) {
        row.set(p + "acc", *ablated.accuracy);
        row.set(p + "acc_drop", *clean.accuracy - *ablated.accuracy);
      }
      if (!o_.per_unit) continue;
      const int64_t units = width(c, set, hook);
      torch::Tensor increase = torch::empty({units}, torch::kDouble);
      for (int64_t u = 0; u < units; ++u) increase[u] = score(c, set, hook, {kind, {}, {u}}).loss - clean.loss;
      const int64_t top = increase.argmax().item<int64_t>();
      row.set(p + "top_unit", static_cast<double>(top));
      row.set(p + "top_unit_loss_increase", increase[top].item<double>());
      if (c.tensors) (*c.tensors)[p + "unit_loss_increase"] = increase.to(torch::kFloat).contiguous();
    }
  }

 private:
  // The first max_examples examples of the set (per-example position weights sliced alike).
  Batch examples(ProbeContext& c) const {
    const Batch& set = evaluation_set(c, o_.set, "ablation");
    const int64_t n = std::min<int64_t>(o_.max_examples, set.size());
    Batch out{set.inputs.slice(0, 0, n), set.targets.slice(0, 0, n), set.weights};
    if (set.weights.defined() && set.weights.dim() == 2) out.weights = set.weights.slice(0, 0, n);
    return out;
  }

  // The task's loss and accuracy with `intervention` at `hook` ("": none).
  Score score(ProbeContext& c, const Batch& set, const std::string& hook, Intervention intervention) const {
    if (!hook.empty()) c.model.hooks().intervene(hook, std::move(intervention));
    const torch::Tensor outputs = c.model.forward(set.inputs);
    c.model.hooks().clear();
    return c.task.score(c.spec.train.loss, outputs, set);
  }

  // The hook's last dimension (its units).
  int64_t width(ProbeContext& c, const Batch& set, const std::string& hook) const {
    c.model.hooks().capture(hook);
    c.model.forward(set.inputs.slice(0, 0, 1));
    const int64_t units = c.model.hooks().cached(hook).size(-1);
    c.model.hooks().clear();
    return units;
  }

  AblationOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_ablation(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Ablation>(dynamic_cast<const AblationOptions&>(o));
}

}  // namespace phenom
