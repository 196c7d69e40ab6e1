// Linear CKA of x [N, p] and y [N, q] (rows: the same examples): with both centred over examples,
// ||y^T x||_F^2 / (||x^T x||_F ||y^T y||_F), computed in float64 from the N x N Gram matrices when
// N is smaller than the widths, else from the feature cross-products.
#include "probes/cka.h"

#include <cmath>

#include "core/error.h"
#include "probes/activations.h"
#include "probes/cka_math.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {

double linear_cka(const torch::Tensor& x_in, const torch::Tensor& y_in) {
  const torch::Tensor x = x_in - x_in.mean(0, true), y = y_in - y_in.mean(0, true);
  const int64_t n = x.size(0);
  double cross = 0, xx = 0, yy = 0;
  if (n < x.size(1) + y.size(1)) {  // Gram form: <K, L> / (|K| |L|) with K = x x^T, L = y y^T
    const torch::Tensor k = x.matmul(x.t()), l = y.matmul(y.t());
    cross = (k * l).sum().item<double>();
    xx = k.pow(2).sum().item<double>();
    yy = l.pow(2).sum().item<double>();
  } else {
    cross = y.t().matmul(x).pow(2).sum().item<double>();
    xx = x.t().matmul(x).pow(2).sum().item<double>();
    yy = y.t().matmul(y).pow(2).sum().item<double>();
  }
  return xx > 0 && yy > 0 ? cross / std::sqrt(xx * yy) : 0.0;
}

namespace {

// The centred RBF Gram matrix H K H of x.
torch::Tensor centred_rbf_gram(const torch::Tensor& x, double sigma_fraction) {
  const int64_t n = x.size(0);
  const torch::Tensor squared = torch::cdist(x, x).pow(2);
  const torch::Tensor off = squared.masked_select(~torch::eye(n, torch::TensorOptions().dtype(torch::kBool)));
  const double median = off.numel() > 0 ? off.sqrt().median().item<double>() : 0.0;
  const double sigma = sigma_fraction * (median > 0 ? median : 1.0);
  torch::Tensor k = torch::exp(-squared / (2 * sigma * sigma));
  k = k - k.mean(0, true);
  return k - k.mean(1, true);
}

}  // namespace

double rbf_cka(const torch::Tensor& x, const torch::Tensor& y, double sigma_fraction) {
  const torch::Tensor k = centred_rbf_gram(x, sigma_fraction), l = centred_rbf_gram(y, sigma_fraction);
  const double xx = k.pow(2).sum().item<double>(), yy = l.pow(2).sum().item<double>();
  return xx > 0 && yy > 0 ? (k * l).sum().item<double>() / std::sqrt(xx * yy) : 0.0;
}

namespace {

class Cka : public Probe {
 public:
  explicit Cka(const CkaOptions& o) : Probe(o.every), o_(o) {}

  // cka/<a>/<b> for every pair; an analysis keeps the whole matrix (hooks in the given order).
  void measure(ProbeContext& c, MetricRow& row) override {
    const auto acts = activations(c, o_.hooks, {"cka", o_.set, o_.position, o_.max_examples});
    const bool references = !o_.reference_run.empty() || !o_.reference_steps.empty() || !o_.reference_runs.empty();
    if (references && !c.reference_activations) {
      throw BadInput("cka: reference_run, reference_steps and reference_runs compare with other checkpoints, which only "
                     "phenom analyze opens. Fix: list this cka in an analysis spec (phenom analyze RUN_DIR "
                     "ANALYSIS.yaml), or drop them.");
    }
    const int64_t h = static_cast<int64_t>(acts.size());
    torch::Tensor matrix = torch::eye(h, torch::kDouble);
    for (int64_t i = 0; i < h; ++i) {
      for (int64_t j = i + 1; j < h; ++j) {
        const double value = cka(acts[i], acts[j]);
        matrix[i][j] = value;
        matrix[j][i] = value;
        row.set("cka/" + o_.hooks[i] + "/" + o_.hooks[j], value);
      }
    }
    if (c.tensors && h > 1) (*c.tensors)["cka/matrix"] = matrix.to(torch::kFloat).contiguous();
    if (!o_.reference_run.empty() && o_.reference_steps.empty()) against_reference(c, acts, row);
    if (!o_.reference_steps.empty()) against_steps(c, acts, row);
    if (!o_.reference_runs.empty()) across_runs(c, acts, row);
  }

 private:
  double cka(const torch::Tensor& x, const torch::Tensor& y) const {
    return o_.kernel == CkaKernel::kRbf ? rbf_cka(x, y, o_.sigma) : linear_cka(x, y);
  }

  // cka/<hook>/reference/<step>: this checkpoint against each of reference_steps of reference_run
  // (this run by default); tensors cka/<hook>/by_reference_step and cka/reference_steps.
  void against_steps(ProbeContext& c, const std::vector<torch::Tensor>& acts, MetricRow& row) const {
    const std::string run = o_.reference_run.empty() ? "this" : o_.reference_run;
    std::vector<int64_t> steps;
    for (const std::string& s : o_.reference_steps) {
      if (s != "all") {
        steps.push_back(std::stoll(s));
        continue;
      }
      for (int64_t step : c.reference_checkpoints(run)) steps.push_back(step);
    }
    const Batch set = leading_examples(c, o_.set, o_.max_examples, "cka");
    std::vector<torch::Tensor> values(o_.hooks.size(), torch::zeros({static_cast<int64_t>(steps.size())}));
    for (size_t k = 0; k < steps.size(); ++k) {
      const auto ref = c.reference_activations(run, steps[k], set.inputs, o_.hooks, o_.position);
      for (size_t i = 0; i < o_.hooks.size(); ++i) {
        const double value = cka(acts[i], ref[i]);
        values[i][static_cast<int64_t>(k)] = value;
        row.set("cka/" + o_.hooks[i] + "/reference/" + std::to_string(steps[k]), value);
      }
    }
    if (!c.tensors) return;
    (*c.tensors)["cka/reference_steps"] = torch::tensor(steps, torch::kLong);
    for (size_t i = 0; i < o_.hooks.size(); ++i) {
      (*c.tensors)["cka/" + o_.hooks[i] + "/by_reference_step"] = values[i].contiguous();
    }
  }

  // cka/<hook>/runs/<i>/<j> between the models of reference_runs (at reference_step, or this step),
  // all on this run's examples; runs/mean over the pairs; tensor cka/<hook>/runs [R, R].
  void across_runs(ProbeContext& c, const std::vector<torch::Tensor>& acts, MetricRow& row) const {
    const Batch set = leading_examples(c, o_.set, o_.max_examples, "cka");
    const int64_t step = o_.reference_step >= 0 ? o_.reference_step : c.step;
    std::vector<std::vector<torch::Tensor>> runs;
    for (const std::string& run : o_.reference_runs) {
      runs.push_back(run == "this" && step == c.step ? acts
                                                     : c.reference_activations(run, step, set.inputs, o_.hooks, o_.position));
    }
    const int64_t r = static_cast<int64_t>(runs.size());
    for (size_t h = 0; h < o_.hooks.size(); ++h) {
      torch::Tensor matrix = torch::eye(r, torch::kDouble);
      double sum = 0;
      for (int64_t i = 0; i < r; ++i) {
        for (int64_t j = i + 1; j < r; ++j) {
          const double value = cka(runs[static_cast<size_t>(i)][h], runs[static_cast<size_t>(j)][h]);
          matrix[i][j] = value;
          matrix[j][i] = value;
          sum += value;
          row.set("cka/" + o_.hooks[h] + "/runs/" + std::to_string(i) + "/" + std::to_string(j), value);
        }
      }
      row.set("cka/" + o_.hooks[h] + "/runs/mean", sum / static_cast<double>(r * (r - 1) / 2));
      if (c.tensors) (*c.tensors)["cka/" + o_.hooks[h] + "/runs"] = matrix.to(torch::kFloat).contiguous();
    }
  }

  // cka/<hook>/reference: each hook here against the same hook of the reference model, which runs
  // on the same examples (this run's).
  void against_reference(ProbeContext& c, const std::vector<torch::Tensor>& acts, MetricRow& row) const {
    const Batch set = leading_examples(c, o_.set, o_.max_examples, "cka");
    const int64_t step = o_.reference_step >= 0 ? o_.reference_step : c.step;
    const auto ref = c.reference_activations(o_.reference_run, step, set.inputs, o_.hooks, o_.position);
    for (size_t i = 0; i < o_.hooks.size(); ++i) {
      row.set("cka/" + o_.hooks[i] + "/reference", cka(acts[i], ref[i]));
    }
  }

  CkaOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_cka(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Cka>(dynamic_cast<const CkaOptions&>(o));
}

}  // namespace phenom
