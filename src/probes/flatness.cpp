// flatness probe: Keskar's epsilon-box sharpness at its cadence (flatness/eps_sharpness, in percent
// as in the paper: 100 (max_box L - L) / (1 + L)) and 1-D loss slices in summary.json at the end.
#include "probes/flatness.h"

#include <algorithm>

#include "core/seed.h"
#include "models/model.h"
#include "probes/activations.h"
#include "probes/hessian_math.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Flatness : public Probe {
 public:
  explicit Flatness(const FlatnessOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    Setup s = setup(c);
    torch::NoGradGuard no_grad;
    const double base = s.loss().item<double>();
    std::vector<torch::Tensor> box, offset;
    for (size_t i = 0; i < s.params.size(); ++i) {
      box.push_back((s.start[i].abs() + 1) * o_.epsilon);
      offset.push_back(torch::zeros_like(s.start[i]));
    }
    // Sign-gradient steps of 2.5 box / steps (Madry et al.'s rule for an L-infinity ball), projected.
    const double step = 2.5 / static_cast<double>(o_.ascent_steps);
    double highest = base;
    for (int64_t t = 0; t < o_.ascent_steps; ++t) {
      std::vector<torch::Tensor> grads;
      {
        torch::AutoGradMode grad_mode(true);
        grads = torch::autograd::grad({s.loss()}, s.params, {}, false, false, /*allow_unused=*/true);
      }
      for (size_t i = 0; i < s.params.size(); ++i) {
        if (!grads[i].defined()) continue;
        offset[i] = torch::max(torch::min(offset[i] + box[i] * grads[i].sign() * step, box[i]), -box[i]);
        s.params[i].copy_(s.start[i] + offset[i]);
      }
      highest = std::max(highest, s.loss().item<double>());
    }
    s.restore();
    row.set("flatness/eps_sharpness", 100 * (highest - base) / (1 + base));
  }

  void summarize(ProbeContext& c, Json& out) override {
    if (o_.slice_points == 0) return;
    Setup s = setup(c);
    // Random direction: Gaussian, each tensor's piece scaled to that tensor's norm.
    auto generator = at::make_generator<at::CPUGeneratorImpl>(derive_seed(c.spec.seed, Stream::kProbe, ~uint64_t{1}));
    std::vector<torch::Tensor> random, top;
    for (const auto& w : s.start) {
      const torch::Tensor d = torch::randn(w.sizes(), generator, torch::TensorOptions().dtype(torch::kDouble));
      random.push_back((d * (w.to(torch::kDouble).norm() / d.norm().clamp_min(1e-300))).to(w.options()));
    }
    {  // Top eigenvector (Lanczos), scaled to the norm of all parameters.
      torch::AutoGradMode grad_mode(true);
      const HessianOperator H = HessianOperator::of(s.loss(), s.params);
      const torch::Tensor start = torch::randn({H.dim()}, generator, torch::TensorOptions().dtype(torch::kDouble));
      const TopEigen eigen = lanczos_top([&](const torch::Tensor& v) { return H.apply(v); }, start, 1,
                                         std::min<int64_t>(40, H.dim()), 1e-3);
      double norm = 0;
      for (const auto& w : s.start) norm += w.to(torch::kDouble).square().sum().item<double>();
      const torch::Tensor u = eigen.vectors[0] * std::sqrt(norm);
      int64_t at = 0;
      for (const auto& w : s.start) {
        top.push_back(u.slice(0, at, at + w.numel()).view(w.sizes()).to(w.options()));
        at += w.numel();
      }
      out["slice_top_eigenvalue"] = eigen.values[0];
    }
    torch::NoGradGuard no_grad;
    std::vector<double> alphas, alphas_top, along_random, along_top;
    for (int64_t j = 0; j < o_.slice_points; ++j) {
      const double t = o_.slice_points == 1 ? 0.0 : 2.0 * j / (o_.slice_points - 1) - 1;  // in [-1, 1]
      alphas.push_back(o_.slice_radius * t);
      alphas_top.push_back(o_.eigen_radius * t);
      along_random.push_back(s.loss_at(random, alphas.back()));
      along_top.push_back(s.loss_at(top, alphas_top.back()));
    }
    s.restore();
    out["slice"] = {{"step", c.step}, {"alpha", alphas}, {"random", along_random},
                    {"alpha_top", alphas_top}, {"top_eigenvector", along_top}};
  }

 private:
  struct Setup {
    ProbeContext& c;
    Batch batch;
    std::vector<torch::Tensor> params, start;
    torch::Tensor loss() { return c.task.loss(c.spec.train.loss, c.model.forward(batch.inputs), batch); }
    double loss_at(const std::vector<torch::Tensor>& direction, double alpha) {
      for (size_t i = 0; i < params.size(); ++i) params[i].copy_(start[i] + direction[i] * alpha);
      return loss().item<double>();
    }
    void restore() {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < params.size(); ++i) params[i].copy_(start[i]);
    }
  };

  Setup setup(ProbeContext& c) const {
    Setup s{c, first_examples(c, o_.set, o_.examples, "flatness probe"), {}, {}};
    for (auto& p : c.model.parameters()) {
      if (!p.requires_grad()) continue;
      s.params.push_back(p);
      s.start.push_back(p.detach().clone());
    }
    return s;
  }

  FlatnessOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_flatness(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Flatness>(dynamic_cast<const FlatnessOptions&>(o));
}

}  // namespace phenom
