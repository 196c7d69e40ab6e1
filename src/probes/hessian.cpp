// hessian probe: sharpness (the top Hessian eigenvalues) and the trace of the training objective's
// Hessian, through Hessian-vector products. Full-batch gradient descent at learning rate eta is
// stable on a quadratic only while lambda_max < 2/eta ((2 + 2 beta)/eta with heavy-ball momentum
// beta); Cohen et al. (2021) find lambda_max rising to that threshold and hovering there.
#include "probes/hessian.h"

#include <limits>

#include "core/build_context.h"
#include "core/seed.h"
#include "models/model.h"
#include "optim/optimizers.h"
#include "probes/hessian_math.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Hessian : public Probe {
 public:
  Hessian(const HessianOptions& o, double momentum, bool gradient_descent)
      : Probe(o.every), o_(o), momentum_(momentum), gradient_descent_(gradient_descent) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    const Batch& all = c.task.split(o_.set);
    Batch batch = all;
    if (o_.examples > 0 && o_.examples < all.size()) {
      batch.inputs = all.inputs.slice(0, 0, o_.examples);
      batch.targets = all.targets.slice(0, 0, o_.examples);
      if (all.weights.defined() && all.weights.dim() == 2) batch.weights = all.weights.slice(0, 0, o_.examples);
    }
    std::vector<torch::Tensor> params;
    for (auto& p : c.model.parameters()) {
      if (p.requires_grad()) params.push_back(p);
    }
    torch::AutoGradMode grad_mode(true);
    const torch::Tensor loss = c.task.loss(c.spec.train.loss, c.model.forward(batch.inputs), batch);
    const HessianOperator H = HessianOperator::of(loss, params);
    const auto hvp = [&](const torch::Tensor& v) { return H.apply(v); };
    // A start vector drawn from (seed, step): a resumed run measures exactly what it would have.
    auto generator = at::make_generator<at::CPUGeneratorImpl>(derive_seed(c.spec.seed, Stream::kProbe, c.step));
    const torch::Tensor start = torch::randn({H.dim()}, generator, torch::TensorOptions().dtype(torch::kDouble));
    const int64_t k = std::min<int64_t>(o_.top_k, H.dim());
    const TopEigen top = lanczos_top(hvp, start, k, o_.iterations, o_.tolerance);
    for (int64_t i = 0; i < k; ++i) row.set("hessian/lambda_" + std::to_string(i + 1), top.values[i]);
    double relative = 0;
    for (int64_t i = 0; i < k; ++i) relative = std::max(relative, top.residuals[i] / std::max(std::abs(top.values[i]), 1e-300));
    row.set("hessian/residual", relative);
    row.set("hessian/iterations", static_cast<double>(top.iterations));
    if (gradient_descent_) {  // infinite at a zero learning rate (the first step of a warm-up)
      const double threshold = c.lr > 0 ? (2 + 2 * momentum_) / c.lr : std::numeric_limits<double>::infinity();
      row.set("hessian/threshold", threshold);
      row.set("hessian/ratio", top.values[0] / threshold);
    }
    if (o_.trace_samples > 0) {
      const TraceEstimate t = hutchinson_trace(hvp, H.dim(), o_.trace_samples, generator);
      row.set("hessian/trace", t.mean);
      row.set("hessian/trace_se", t.standard_error);
    }
    row.set("hessian/converged", top.converged ? 1.0 : 0.0);
    if (c.tensors) (*c.tensors)["hessian/top_vectors"] = top.vectors.to(torch::kFloat).contiguous();
  }

  void summarize(ProbeContext&, Json& out) override {
    if (!gradient_descent_) {
      out["notes"] = {"the stability threshold 2/lr is that of (momentum) gradient descent; for adaptive optimizers "
                      "it concerns the preconditioned sharpness, which this probe does not measure"};
    }
  }

 private:
  HessianOptions o_;
  double momentum_;
  bool gradient_descent_;
};

}  // namespace

std::unique_ptr<Probe> build_hessian(const ProbeOptions& o, BuildContext& context) {
  const auto& options = dynamic_cast<const HessianOptions&>(o);
  int64_t dim = 0;
  for (const auto& p : context.parameters) dim += p.numel();
  if (dim > 0 && options.top_k > dim) {
    throw std::invalid_argument("hessian probe: top_k " + std::to_string(options.top_k) + " exceeds the model's " +
                                std::to_string(dim) + " parameters");
  }
  const auto* sgd = dynamic_cast<const SgdOptions*>(context.spec.optimizer.options.get());
  return std::make_unique<Hessian>(options, sgd ? sgd->momentum : 0.0, sgd != nullptr);
}

}  // namespace phenom
