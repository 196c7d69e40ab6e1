#include "probes/hessian_math.h"

#include <cmath>
#include <stdexcept>

namespace phenom {

namespace {
torch::Tensor flat_double(const std::vector<torch::Tensor>& pieces, const std::vector<torch::Tensor>& like) {
  std::vector<torch::Tensor> flat;
  for (size_t i = 0; i < pieces.size(); ++i) {
    flat.push_back(pieces[i].defined() ? pieces[i].detach().reshape(-1).to(torch::kCPU, torch::kDouble)
                                       : torch::zeros({like[i].numel()}, torch::kDouble));
  }
  return torch::cat(flat);
}
}  // namespace

HessianOperator::HessianOperator(std::vector<torch::Tensor> params, std::vector<torch::Tensor> grads)
    : params_(std::move(params)), grads_(std::move(grads)) {
  for (const auto& p : params_) dim_ += p.numel();
}

HessianOperator HessianOperator::of(const torch::Tensor& loss, const std::vector<torch::Tensor>& params) {
  torch::AutoGradMode grad_mode(true);
  auto grads = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/true, /*create_graph=*/true,
                                     /*allow_unused=*/true);
  return HessianOperator(params, grads);
}

bool HessianOperator::curved() const {
  for (const auto& g : grads_) if (g.defined() && g.requires_grad()) return true;
  return false;
}

torch::Tensor HessianOperator::gradient() const { return flat_double(grads_, params_); }

torch::Tensor HessianOperator::apply(const torch::Tensor& v) const {
  if (v.numel() != dim_) throw std::invalid_argument("Hessian-vector product: vector of the wrong size");
  torch::AutoGradMode grad_mode(true);
  torch::Tensor dot;
  std::vector<torch::Tensor> used;
  int64_t offset = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const int64_t n = params_[i].numel();
    if (grads_[i].defined() && grads_[i].requires_grad()) {
      const torch::Tensor piece = v.slice(0, offset, offset + n).view(params_[i].sizes()).to(params_[i].options());
      const torch::Tensor term = (grads_[i] * piece).sum();
      dot = dot.defined() ? dot + term : term;
    }
    offset += n;
  }
  ++products_;
  if (!dot.defined()) return torch::zeros({dim_}, torch::kDouble);  // the loss is linear in every parameter
  auto hv = torch::autograd::grad({dot}, params_, {}, /*retain_graph=*/true, /*create_graph=*/false,
                                  /*allow_unused=*/true);
  return flat_double(hv, params_);
}

TopEigen lanczos_top(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, const torch::Tensor& start,
                     int64_t k, int64_t max_iterations, double tolerance, int64_t min_iterations,
                     int64_t track) {
  const int64_t n = start.numel();
  const int64_t m = std::min(max_iterations, n);
  if (k < 1 || k > m) throw std::invalid_argument("Lanczos: k must be in [1, min(iterations, dim)]");
  std::vector<torch::Tensor> q = {start.to(torch::kDouble) / start.to(torch::kDouble).norm()};
  std::vector<double> alpha, beta;
  TopEigen out;
  torch::Tensor ritz;  // [j+1, k] eigenvectors of T for the top k
  for (int64_t j = 0; j < m; ++j) {
    torch::Tensor w = hvp(q[j]);
    alpha.push_back(w.dot(q[j]).item<double>());
    const torch::Tensor basis = torch::stack(q);  // [j+1, n]
    for (int pass = 0; pass < 2; ++pass) w = w - basis.t().mv(basis.mv(w));  // full re-orthogonalisation
    const double b = w.norm().item<double>();
    // The tridiagonal T_j: its top eigenpairs and their residuals |b * s_last|.
    torch::Tensor T = torch::diag(torch::tensor(alpha, torch::kDouble));
    for (size_t i = 0; i + 1 < alpha.size(); ++i) T[i][i + 1] = T[i + 1][i] = beta[i];
    out.iterations = j + 1;
    if (j + 1 >= k) {
      auto [theta, S] = torch::linalg_eigh(T, "L");  // ascending
      out.values.clear();
      out.residuals.clear();
      ritz = S.slice(1, j + 1 - k, j + 1).flip(1);
      bool converged = true;
      for (int64_t i = 0; i < k; ++i) {
        const double value = theta[j - i].item<double>(), residual = std::abs(b * ritz[j][i].item<double>());
        out.values.push_back(value);
        out.residuals.push_back(residual);
        converged = converged && residual <= tolerance * std::abs(value);
      }
      out.converged = converged;
      if (converged && j + 1 >= min_iterations) break;
    }
    const double scale = std::abs(alpha.back()) + (beta.empty() ? 0.0 : beta.back());
    if (b <= 1e-12 * std::max(scale, 1e-300)) {  // an invariant subspace: T's eigenvalues are exact
      out.converged = j + 1 >= k;
      break;
    }
    beta.push_back(b);
    q.push_back(w / b);
  }
  if (out.values.empty()) throw std::invalid_argument("Lanczos: fewer than k steps possible");
  torch::Tensor T = torch::diag(torch::tensor(alpha, torch::kDouble));
  for (size_t i = 0; i + 1 < alpha.size(); ++i) T[i][i + 1] = T[i + 1][i] = beta[i];
  auto [theta, S] = torch::linalg_eigh(T, "L");
  out.nodes = theta;
  out.weights = S[0].square();
  const torch::Tensor Q = torch::stack(std::vector<torch::Tensor>(q.begin(), q.begin() + ritz.size(0)));
  out.vectors = ritz.t().mm(Q);
  const int64_t steps = S.size(0), kept = std::min(std::max(k, track), steps);
  out.tracked = kept == k ? out.vectors : S.slice(1, steps - kept, steps).flip(1).t().mm(Q);
  return out;
}

TopEigen power_top(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, const torch::Tensor& start,
                   int64_t k, int64_t max_iterations, double tolerance) {
  if (k < 1 || k > start.numel()) throw std::invalid_argument("power iteration: k must be in [1, dim]");
  TopEigen out;
  std::vector<torch::Tensor> found;
  auto deflated = [&](const torch::Tensor& v) {
    torch::Tensor w = hvp(v);
    for (size_t i = 0; i < found.size(); ++i) w = w - found[i] * (out.values[i] * found[i].dot(v).item<double>());
    return w;
  };
  out.converged = true;
  for (int64_t i = 0; i < k; ++i) {
    torch::Tensor v = start.to(torch::kDouble);
    for (const auto& u : found) v = v - u * u.dot(v);
    v = v / v.norm();
    double value = 0;
    bool converged = false;
    torch::Tensor w;
    for (int64_t t = 0; t < max_iterations; ++t) {
      w = deflated(v);
      ++out.iterations;
      const double next = v.dot(w).item<double>();
      converged = t > 0 && std::abs(next - value) <= tolerance * std::abs(value);
      value = next;
      if (converged) break;
      const double norm = w.norm().item<double>();
      if (norm == 0) break;  // v is in the (deflated) null space
      v = w / norm;
      for (const auto& u : found) v = v - u * u.dot(v);  // stay orthogonal to the pairs found (as PyHessian)
      v = v / v.norm();
    }
    // The residual of the pair as it stands (w was computed from v only when the loop broke early).
    const torch::Tensor r = deflated(v) - v * value;
    ++out.iterations;
    out.values.push_back(value);
    out.residuals.push_back(r.norm().item<double>());
    out.converged = out.converged && converged;
    found.push_back(v);
  }
  out.vectors = torch::stack(found);
  return out;
}

SpectralDensity slq_density(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, int64_t dim, int64_t steps,
                            int64_t vectors, at::Generator& generator) {
  const int64_t m = std::min(steps, dim);
  SpectralDensity d{torch::zeros({vectors, m}, torch::kDouble), torch::zeros({vectors, m}, torch::kDouble)};
  for (int64_t i = 0; i < vectors; ++i) {
    const torch::Tensor z =
        torch::randint(0, 2, {dim}, generator, torch::TensorOptions().dtype(torch::kDouble)) * 2 - 1;
    const TopEigen run = lanczos_top(hvp, z, 1, m, 0.0);  // tolerance 0: all m steps unless invariant
    const int64_t got = run.nodes.numel();
    d.nodes[i].slice(0, 0, got).copy_(run.nodes);
    d.weights[i].slice(0, 0, got).copy_(run.weights);
  }
  return d;
}

TraceEstimate hutchinson_trace(const std::function<torch::Tensor(const torch::Tensor&)>& hvp, int64_t dim,
                               int64_t samples, at::Generator& generator) {
  std::vector<double> values;
  for (int64_t s = 0; s < samples; ++s) {
    const torch::Tensor z =
        torch::randint(0, 2, {dim}, generator, torch::TensorOptions().dtype(torch::kDouble)) * 2 - 1;
    values.push_back(z.dot(hvp(z)).item<double>());
  }
  TraceEstimate t;
  for (double v : values) t.mean += v;
  t.mean /= static_cast<double>(samples);
  if (samples > 1) {
    double ss = 0;
    for (double v : values) ss += (v - t.mean) * (v - t.mean);
    t.standard_error = std::sqrt(ss / static_cast<double>(samples - 1) / static_cast<double>(samples));
  }
  return t;
}

}  // namespace phenom
