// The Hessian of the training objective at a step: its top eigenvalues (sharpness, the quantity
// the edge of stability is about) by Lanczos, and its trace by Hutchinson's estimator, on a fixed
// set of examples so that successive measurements see the same loss (torch-free options).
#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

// How the top eigenvalues are found: Lanczos with full re-orthogonalisation, or power iteration.
enum class EigenMethod { kLanczos, kPower };
template <>
struct Words<EigenMethod> {
  static constexpr std::array names{"lanczos", "power"};
};
// The dtype of the Hessian-vector products: the model's, or float64 on a copy.
enum class HvpPrecision { kModel, kFloat64 };
template <>
struct Words<HvpPrecision> {
  static constexpr std::array names{"model", "float64"};
};

struct HessianOptions : ProbeOptions {
  int64_t top_k = 1;
  int64_t iterations = 40;
  double tolerance = 1e-3;
  int64_t trace_samples = 0;
  std::string set = "train";
  int64_t examples = 0;
  EigenMethod method = EigenMethod::kLanczos;
  int64_t density_steps = 0;
  int64_t density_vectors = 4;
  bool preconditioned = false;
  HvpPrecision precision = HvpPrecision::kModel;
  bool warm_start = false;
  void visit(Visitor& v) override {
    v.field("top_k", top_k, "eigenvalues reported, largest first (hessian/lambda_1 = lambda_max, ...)", AtLeast(1));
    v.field("iterations", iterations, "Lanczos steps at most (one Hessian-vector product each)", AtLeast(1));
    v.field("tolerance", tolerance, "stop when every residual ||Hu - lambda u|| <= tolerance * |lambda|",
            OpenInterval(0, 1));
    v.field("trace_samples", trace_samples, "Rademacher vectors for the Hutchinson trace (0: no trace)", NonNegative());
    v.field("set", set, "the fixed evaluation set whose loss is differentiated (train: the training split)");
    v.field("examples", examples, "the first N examples of the set only, in its fixed order (0: all of it)",
            NonNegative());
    v.field("method", method,
            "lanczos (full re-orthogonalisation; largest algebraic eigenvalues) or power (power iteration with "
            "deflation, as PyHessian; largest in magnitude, tolerance on the relative change of each value)");
    v.field("density_steps", density_steps,
            "Lanczos steps per vector of the spectral density by stochastic Lanczos quadrature, at the end of the "
            "run (summary.json hessian.density; 0: none)", NonNegative());
    v.field("density_vectors", density_vectors, "Rademacher start vectors of the spectral density", AtLeast(1));
    v.field("precision", precision,
            "model: Hessian-vector products in the model's dtype; float64: on a float64 copy of the model, for the "
            "probe alone (training keeps its dtype)");
    v.field("preconditioned", preconditioned,
            "adam/adamw: also the top eigenvalues of P^-1 H, P Adam's preconditioner at this step (Cohen et al. "
            "2022), against (2 + 2 beta1) / ((1 - beta1) lr); from the first update on");
    v.field("warm_start", warm_start,
            "lanczos: start from the previous measurement's top k + 2 vectors (plus a tenth of a random one) instead "
            "of a random vector; kept in checkpoints, so a resumed run measures what an uninterrupted one does");
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (warm_start && method == EigenMethod::kPower) {
      problems.push_back({"warm_start", "warm_start needs method: lanczos: power iteration started on the previous "
                                        "pair stays on it even after another eigenvalue has overtaken it. Fix: remove "
                                        "warm_start, or use method: lanczos."});
    }
    if (method == EigenMethod::kLanczos && top_k > iterations) {
      problems.push_back({"top_k", "top_k " + std::to_string(top_k) + " exceeds iterations " + std::to_string(iterations) +
                                       ": Lanczos finds at most as many eigenvalues as it takes steps. Fix: raise "
                                       "iterations, e.g. iterations: " + std::to_string(std::max<int64_t>(40, 4 * top_k)) + "."});
    }
  }
};

}  // namespace phenom
