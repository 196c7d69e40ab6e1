#include "probes/pca.h"

#include "probes/activations.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Pca : public Probe {
 public:
  explicit Pca(const PcaOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    const torch::Tensor x = activations(c, {o_.hook}, {"pca", o_.set, o_.position, o_.max_examples}).front();
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
      // The task's facts of each row, to colour the views by (rows are examples, or examples times
      // positions with position: all).
      const int64_t n = leading_examples(c, o_.set, o_.max_examples, "pca").size();
      for (const auto& [name, values] : c.task.attributes(o_.set)) {
        (*c.tensors)[prefix + "attribute/" + name] =
            values.slice(0, 0, n).to(torch::kCPU).repeat_interleave(x.size(0) / n).contiguous();
      }
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
