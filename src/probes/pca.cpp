#include "probes/pca.h"

#include "core/error.h"
#include "core/text.h"
#include "models/model.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

// The activations at `hook` on the first `limit` examples of `set`, one row per example (or per
// example and position), in float64.
torch::Tensor activations(ProbeContext& c, const PcaOptions& o) {
  const Batch* set = c.task.eval_set(o.set);
  if (!set) {
    std::vector<std::string> names;
    for (const auto& s : c.task.eval_sets()) names.push_back(s.name);
    throw BadInput("pca: the task has no evaluation set '" + o.set + "'; it has " + join(names) + ".");
  }
  const auto& hooks = c.model.hooks().names();
  if (std::find(hooks.begin(), hooks.end(), o.hook) == hooks.end()) {
    throw BadInput("pca: the model has no hook point '" + o.hook + "'; its hooks: " + join(hooks) + ".");
  }
  const int64_t n = std::min<int64_t>(o.max_examples, set->inputs.size(0));
  torch::NoGradGuard no_grad;
  c.model.hooks().capture(o.hook);
  c.model.forward(set->inputs.slice(0, 0, n));
  torch::Tensor x = c.model.hooks().cached(o.hook).detach();
  c.model.hooks().clear();
  if (x.dim() == 3) {
    if (o.position == "all") {
      x = x.reshape({-1, x.size(2)});
    } else {
      const int64_t t = o.position == "last" ? x.size(1) - 1 : std::stoll(o.position);
      if (t >= x.size(1)) {
        throw BadInput("pca: position " + o.position + " is outside the " + std::to_string(x.size(1)) +
                       " positions of " + o.hook + ".");
      }
      x = x.select(1, t);
    }
  }
  return x.reshape({x.size(0), -1}).to(torch::kCPU, torch::kDouble);
}

class Pca : public Probe {
 public:
  explicit Pca(const PcaOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    const torch::Tensor x = activations(c, o_);
    const torch::Tensor centred = x - x.mean(0, true);
    // Singular values of the centred data: variances s^2 / (N - 1) along the principal axes.
    auto [u, s, vh] = torch::linalg::svd(centred, /*full_matrices=*/false, /*driver=*/c10::nullopt);
    const torch::Tensor variance = s.pow(2) / static_cast<double>(x.size(0) - 1);
    const double total = variance.sum().item<double>();
    const int64_t k = std::min<int64_t>(o_.components, variance.size(0));
    const std::string prefix = "pca/" + o_.hook + "/";
    const torch::Tensor ratio = total > 0 ? variance / total : torch::zeros_like(variance);
    const torch::Tensor cumulative = ratio.cumsum(0);
    for (int64_t i = 0; i < k; ++i) row.set(prefix + "explained/" + std::to_string(i + 1), ratio[i].item<double>());
    row.set(prefix + "explained_top" + std::to_string(k), cumulative[k - 1].item<double>());
    // Participation ratio (sum lambda)^2 / sum lambda^2: the effective number of dimensions.
    const double squares = variance.pow(2).sum().item<double>();
    row.set(prefix + "participation_ratio", squares > 0 ? total * total / squares : 0.0);
    const auto reach = [&](double fraction) {
      return static_cast<double>(cumulative.lt(fraction).sum().item<int64_t>() + 1);
    };
    row.set(prefix + "dims_90", std::min<double>(reach(0.9), static_cast<double>(variance.size(0))));
    if (c.tensors) {
      (*c.tensors)[prefix + "components"] = vh.slice(0, 0, k).to(torch::kFloat).contiguous();
      (*c.tensors)[prefix + "coordinates"] = (centred.matmul(vh.slice(0, 0, k).t())).to(torch::kFloat).contiguous();
      (*c.tensors)[prefix + "explained_variance"] = variance.slice(0, 0, k).to(torch::kFloat).contiguous();
    }
  }

 private:
  PcaOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_pca(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Pca>(dynamic_cast<const PcaOptions&>(o));
}

}  // namespace phenom
