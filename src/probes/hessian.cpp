// hessian probe: sharpness (the top Hessian eigenvalues) and the trace of the training objective's
// Hessian, through Hessian-vector products. Full-batch gradient descent at learning rate eta is
// stable on a quadratic only while lambda_max < 2/eta ((2 + 2 beta)/eta with heavy-ball momentum
// beta); Cohen et al. (2021) find lambda_max rising to that threshold and hovering there.
#include "probes/hessian.h"

#include <limits>

#include "core/build_context.h"
#include "core/error.h"
#include "core/seed.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "spec/component.h"
#include "probes/activations.h"
#include "probes/hessian_math.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Hessian : public Probe {
 public:
  Hessian(const HessianOptions& o, double momentum, bool gradient_descent, bool adam, double beta1)
      : Probe(o.every), o_(o), momentum_(momentum), gradient_descent_(gradient_descent), adam_(adam), beta1_(beta1) {}

  // precision: float64 on a model of another dtype: the copy the products run on.
  std::shared_ptr<Model> shadow;

  // H at the model's current parameters, on the probe's fixed examples.
  HessianOperator operator_at(ProbeContext& c) const {
    Batch batch = first_examples(c, o_.set, o_.examples, "hessian probe");
    Model* model = &c.model;
    if (shadow) {
      torch::NoGradGuard no_grad;
      const auto from = c.model.parameters(), to = shadow->parameters();
      for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
      const auto from_buffers = c.model.buffers(), to_buffers = shadow->buffers();
      for (size_t i = 0; i < from_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
      auto wide = [](const torch::Tensor& t) { return t.defined() && t.is_floating_point() ? t.to(torch::kDouble) : t; };
      batch = Batch{wide(batch.inputs), wide(batch.targets), wide(batch.weights)};
      model = shadow.get();
    }
    std::vector<torch::Tensor> params;
    for (auto& p : model->parameters()) {
      if (p.requires_grad()) params.push_back(p);
    }
    torch::AutoGradMode grad_mode(true);
    const torch::Tensor loss = c.task.loss(c.spec.train.loss, model->forward(batch.inputs), batch);
    HessianOperator H = HessianOperator::of(loss, params);
    if (!H.curved()) {
      throw BadInput("hessian probe: the loss '" + std::string(word(c.spec.train.loss)) + "' of model '" +
                     c.spec.model.type + "' is linear in every parameter, so its Hessian is zero; measure a model or loss with curvature.");
    }
    return H;
  }

  void measure(ProbeContext& c, MetricRow& row) override {
    // Checked here rather than at build: the first measurement is the preflight's, whose errors
    // carry the probe's line.
    if (o_.preconditioned && !adam_) {
      throw BadInput("preconditioned needs an adam or adamw optimizer, or sam on base adam/adamw (the run uses '" +
                     c.spec.optimizer.type + "'); remove preconditioned: true");
    }
    const HessianOperator H = operator_at(c);
    if (o_.top_k > H.dim()) {
      throw BadInput("top_k " + std::to_string(o_.top_k) + " exceeds the model's " + std::to_string(H.dim()) +
                     " parameters; use at most " + std::to_string(H.dim()));
    }
    const auto hvp = [&](const torch::Tensor& v) { return H.apply(v); };
    // A start vector drawn from (seed, step): a resumed run measures exactly what it would have.
    auto generator = at::make_generator<at::CPUGeneratorImpl>(derive_seed(c.spec.seed, Stream::kProbe, c.step));
    const torch::Tensor random = torch::randn({H.dim()}, generator, torch::TensorOptions().dtype(torch::kDouble));
    const int64_t k = o_.top_k;
    const TopEigen top = o_.method == EigenMethod::kPower ? power_top(hvp, random, k, o_.iterations, o_.tolerance)
                                              : lanczos(hvp, previous_, random);
    if (o_.warm_start) previous_ = top.tracked;
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
    if (o_.preconditioned) measure_preconditioned(c, H, random, k, row);
    if (c.tensors) (*c.tensors)["hessian/top_vectors"] = top.vectors.to(torch::kFloat).contiguous();
  }

  // The eigenvalues of P^-1 H are those of the symmetric P^-1/2 H P^-1/2.
  void measure_preconditioned(ProbeContext& c, const HessianOperator& H, const torch::Tensor& random, int64_t k,
                              MetricRow& row) {
    const torch::Tensor P = c.optimizer ? c.optimizer->preconditioner() : torch::Tensor();
    if (!P.defined()) return;  // before the first update Adam has no preconditioner
    if (P.numel() != H.dim()) throw std::logic_error("hessian probe: preconditioner and parameters differ in size");
    const torch::Tensor scale = P.rsqrt();
    const TopEigen top =
        lanczos([&](const torch::Tensor& v) { return scale * H.apply(scale * v); }, previous_preconditioned_, random);
    if (o_.warm_start) previous_preconditioned_ = top.tracked;
    for (int64_t i = 0; i < k; ++i) row.set("hessian/preconditioned_lambda_" + std::to_string(i + 1), top.values[i]);
    const double threshold = c.lr > 0 ? (2 + 2 * beta1_) / ((1 - beta1_) * c.lr) : std::numeric_limits<double>::infinity();
    row.set("hessian/preconditioned_threshold", threshold);
    row.set("hessian/preconditioned_ratio", top.values[0] / threshold);
  }

  std::map<std::string, torch::Tensor> state() const override {
    std::map<std::string, torch::Tensor> out;
    if (previous_.defined()) out["top_vectors"] = previous_;
    if (previous_preconditioned_.defined()) out["preconditioned_vectors"] = previous_preconditioned_;
    return out;
  }
  std::vector<std::string> state_keys() const override {
    if (!o_.warm_start) return {};
    return {"top_vectors", "preconditioned_vectors"};
  }
  void load_state(const std::map<std::string, torch::Tensor>& saved) override {
    if (auto found = saved.find("top_vectors"); found != saved.end()) previous_ = found->second.to(torch::kDouble);
    if (auto found = saved.find("preconditioned_vectors"); found != saved.end()) {
      previous_preconditioned_ = found->second.to(torch::kDouble);
    }
  }

  void summarize(ProbeContext& c, Json& out) override {
    if (o_.density_steps > 0) {
      const HessianOperator H = operator_at(c);
      auto generator = at::make_generator<at::CPUGeneratorImpl>(derive_seed(c.spec.seed, Stream::kProbe, ~uint64_t{0}));
      const SpectralDensity d =
          slq_density([&](const torch::Tensor& v) { return H.apply(v); }, H.dim(), o_.density_steps, o_.density_vectors,
                      generator);
      auto rows = [](const torch::Tensor& t) {
        std::vector<std::vector<double>> out;
        for (int64_t i = 0; i < t.size(0); ++i) {
          const torch::Tensor row = t[i].contiguous();
          out.emplace_back(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
        }
        return out;
      };
      out["density"] = {{"step", c.step}, {"nodes", rows(d.nodes)}, {"weights", rows(d.weights)}};
    }
    if (!gradient_descent_ && !o_.preconditioned) {
      out["notes"] = {"the stability threshold 2/lr is that of (momentum) gradient descent; for adam/adamw it "
                      "concerns the preconditioned sharpness (preconditioned: true)"};
    }
  }

 private:
  HessianOptions o_;
  double momentum_;
  bool gradient_descent_;
  bool adam_;
  double beta1_;
  torch::Tensor previous_, previous_preconditioned_;  // warm_start: the last measurement's vectors [k, dim]

  // Lanczos from the random vector, or with warm_start after a first measurement from the previous
  // one's vectors: the top k and two guards below them (normalised sum), plus a tenth in norm of
  // the random vector, for at least k + 3 steps. The guards make a crossing visible: when the
  // second eigenvalue overtakes the first, the start already holds its vector, and the k + 3 steps
  // span the tracked ones (a start along the old top vector alone converges there at once, to the
  // wrong value).
  TopEigen lanczos(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, const torch::Tensor& previous,
                   const torch::Tensor& random) const {
    const int64_t k = o_.top_k, track = o_.warm_start ? k + 2 : k;
    if (!o_.warm_start || !previous.defined()) {
      return lanczos_top(hvp, random, k, o_.iterations, o_.tolerance, 0, track);
    }
    const torch::Tensor sum = previous.sum(0);
    const torch::Tensor start = sum / sum.norm() + 0.1 * random / random.norm();
    return lanczos_top(hvp, start, k, o_.iterations, o_.tolerance, std::min(k + 3, o_.iterations), track);
  }
};

}  // namespace

std::unique_ptr<Probe> build_hessian(const ProbeOptions& o, BuildContext& context) {
  const auto& options = dynamic_cast<const HessianOptions&>(o);
  const StepRuleFacts facts = context.spec.optimizer.options->facts();
  auto probe = std::make_unique<Hessian>(options, facts.momentum, facts.gradient_descent, facts.adam, facts.beta1);
  if (options.precision == HvpPrecision::kFloat64 && context.dtype != torch::kDouble) {
    BuildContext own(context.spec, context.device);  // its own generators: the run's stay untouched
    own.inputs = context.inputs;
    probe->shadow = find_entry(model_registry(), context.spec.model.type)->build(*context.spec.model.options, own);
    probe->shadow->to(context.device);
    for (auto& t : probe->shadow->parameters()) if (t.is_floating_point()) t.set_data(t.to(torch::kDouble));
    for (auto& t : probe->shadow->buffers()) if (t.is_floating_point()) t.set_data(t.to(torch::kDouble));
  }
  return probe;
}

}  // namespace phenom
