// ablation/clean/{loss,acc} once, then per hook ablation/<hook>/{loss,acc,loss_increase,acc_drop};
// with per_unit, ablation/<hook>/unit_loss_increase (a tensor in analyses) and its maximum and argmax
// as metrics (per_head: head_loss_increase, top_head, top_head_loss_increase); with mode project
// also ablation/<hook>/random/{...}: as many random directions.
#include "probes/ablation.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/safetensors.h"
#include "core/seed.h"
#include "core/text.h"
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
    const Batch set = leading_examples(c, o_.set, o_.max_examples, "ablation");
    require_hooks(c, o_.hooks, "ablation");
    torch::NoGradGuard no_grad;
    const Score clean = score(c, set, "", {});
    row.set("ablation/clean/loss", clean.loss);
    if (clean.accuracy) row.set("ablation/clean/acc", *clean.accuracy);
    for (const auto& hook : o_.hooks) {
      const std::string p = "ablation/" + hook + "/";
      if (o_.mode == AblationMode::kProject) {
        const torch::Tensor d = directions(c, set, hook);
        report(row, p, clean, score(c, set, hook, project_out(d)));
        auto g = at::make_generator<at::CPUGeneratorImpl>(derive_seed(c.spec.seed, Stream::kProbe, 0x61626c));
        report(row, p + "random/", clean, score(c, set, hook, project_out(torch::randn(d.sizes(), g, torch::kDouble))));
        continue;
      }
      const Intervention whole = ablation_of(c, set, hook);
      report(row, p, clean, score(c, set, hook, whole));
      const auto sizes = shape(c, set, hook);
      if (o_.per_unit) {
        torch::Tensor increase = torch::empty({sizes.back()}, torch::kDouble);
        for (int64_t u = 0; u < sizes.back(); ++u) {
          Intervention one = whole;
          one.units = {u};
          increase[u] = score(c, set, hook, one).loss - clean.loss;
        }
        keep(c, row, p, "unit", increase);
      }
      if (o_.per_head) {
        const int64_t axis = hook_axes(hook, static_cast<int64_t>(sizes.size())).head;
        if (axis < 0) throw BadInput("ablation: per_head needs an attention hook (hook_z, hook_q/k/v, hook_pattern); " + hook + " has no head axis.");
        torch::Tensor increase = torch::empty({sizes[axis]}, torch::kDouble);
        for (int64_t h = 0; h < sizes[axis]; ++h) {
          Intervention one = whole;
          one.at = {{axis, h}};
          increase[h] = score(c, set, hook, one).loss - clean.loss;
        }
        keep(c, row, p, "head", increase);
      }
    }
  }

 private:
  // The whole-activation ablation of modes zero, mean and resample.
  Intervention ablation_of(ProbeContext& c, const Batch& set, const std::string& hook) const {
    if (o_.mode == AblationMode::kZero) return {Intervention::Kind::kZero, {}, {}, {}, {}};
    if (o_.mode == AblationMode::kMean) return {Intervention::Kind::kMean, {}, {}, {}, {}};
    // resample: example order[i] gets example order[i + 1]'s activation (a single cycle, so no
    // example keeps its own), the order drawn from the run's seed.
    c.model.hooks().capture(hook);
    c.model.forward(set.inputs);
    const torch::Tensor activation = c.model.hooks().cached(hook).detach();
    c.model.hooks().clear();
    const int64_t n = set.size();
    auto g = at::make_generator<at::CPUGeneratorImpl>(derive_seed(c.spec.seed, Stream::kProbe, 0x726573));
    const torch::Tensor order = torch::randperm(n, g, torch::kLong);
    const torch::Tensor source = torch::empty({n}, torch::kLong).index_put_({order}, order.roll(-1));
    return {Intervention::Kind::kReplace, activation.index_select(0, source.to(activation.device())), {}, {}, {}};
  }

  // A per-unit or per-head table: its maximum and argmax as metrics, the table as a tensor.
  static void keep(ProbeContext& c, MetricRow& row, const std::string& p, const std::string& what,
                   const torch::Tensor& increase) {
    const int64_t top = increase.argmax().item<int64_t>();
    row.set(p + "top_" + what, static_cast<double>(top));
    row.set(p + "top_" + what + "_loss_increase", increase[top].item<double>());
    if (c.tensors) (*c.tensors)[p + what + "_loss_increase"] = increase.to(torch::kFloat).contiguous();
  }

  static void report(MetricRow& row, const std::string& p, const Score& clean, const Score& ablated) {
    row.set(p + "loss", ablated.loss);
    row.set(p + "loss_increase", ablated.loss - clean.loss);
    if (ablated.accuracy && clean.accuracy) {
      row.set(p + "acc", *ablated.accuracy);
      row.set(p + "acc_drop", *clean.accuracy - *ablated.accuracy);
    }
  }

  // The directions of mode project, [K, D] in float64, checked against the hook's width.
  torch::Tensor directions(ProbeContext& c, const Batch& set, const std::string& hook) const {
    if (!std::filesystem::exists(o_.directions)) {
      throw BadInput("ablation: directions file '" + o_.directions + "' does not exist.");
    }
    const auto tensors = read_safetensors(o_.directions);
    auto it = tensors.find(o_.key);
    if (it == tensors.end()) {
      std::vector<std::string> names;
      for (const auto& [name, t] : tensors) names.push_back(name);
      throw BadInput("ablation: " + o_.directions + " has no tensor '" + o_.key + "'; it has: " + join(names) + ".");
    }
    torch::Tensor d = it->second.to(torch::kDouble);
    if (d.dim() == 1) d = d.unsqueeze(0);
    if (o_.count > 0) d = d.slice(0, 0, std::min(o_.count, d.size(0)));
    const int64_t units = shape(c, set, hook).back();
    if (d.dim() != 2 || d.size(1) != units) {
      throw BadInput("ablation: '" + o_.key + "' has shape " + shape_text(d) + "; projecting it out of " + hook +
                     " needs [K, " + std::to_string(units) + "].");
    }
    return d;
  }

  static std::string shape_text(const torch::Tensor& t) {
    std::vector<std::string> sizes;
    for (int64_t s : t.sizes()) sizes.push_back(std::to_string(s));
    return "[" + join(sizes) + "]";
  }

  // The task's loss and accuracy with `intervention` at `hook` ("": none).
  Score score(ProbeContext& c, const Batch& set, const std::string& hook, Intervention intervention) const {
    if (!hook.empty()) c.model.hooks().intervene(hook, std::move(intervention));
    const torch::Tensor outputs = c.model.forward(set.inputs);
    c.model.hooks().clear();
    return c.task.score(c.spec.train.loss, outputs, set);
  }

  // The hook's activation shape (one example).
  std::vector<int64_t> shape(ProbeContext& c, const Batch& set, const std::string& hook) const {
    c.model.hooks().capture(hook);
    c.model.forward(set.inputs.slice(0, 0, 1));
    const auto sizes = c.model.hooks().cached(hook).sizes().vec();
    c.model.hooks().clear();
    return sizes;
  }

  AblationOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_ablation(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Ablation>(dynamic_cast<const AblationOptions&>(o));
}

}  // namespace phenom
