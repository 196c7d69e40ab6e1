// A class attribute (int64) is fitted as ridge regression onto one-hot targets and read by argmax
// (accuracy); a real one as ridge regression (R^2). Both in float64 with a bias, the penalty
// lambda = ridge x the mean activation variance. The control refits to a fixed permutation of the
// values: selectivity = held-out score - the control's.
#include "probes/linear_probe.h"

#include "core/error.h"
#include "core/seed.h"
#include "core/text.h"
#include "probes/activations.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

struct Fit {
  double train = 0, held = 0;
  torch::Tensor weights;  // [D + 1, C or 1]
};

class LinearProbe : public Probe {
 public:
  explicit LinearProbe(const LinearProbeOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    torch::Tensor x = activations(c, {o_.hook}, {"linear_probe", o_.set, o_.position, o_.max_examples}).front();
    torch::Tensor y = attribute(c, x.size(0));
    const bool classes = y.scalar_type() == torch::kLong;
    // A fixed split (the same at every step and in every run of the task).
    auto g = at::make_generator<at::CPUGeneratorImpl>(derive_seed(0, Stream::kProbe, 0x6c696e));
    const int64_t n = x.size(0), fit_n = std::max<int64_t>(2, std::llround((1 - o_.held_out) * n));
    const torch::Tensor order = torch::randperm(n, g, torch::kLong);
    const torch::Tensor shuffled = y.index_select(0, torch::randperm(n, g, torch::kLong));
    const Fit real = fit(x, y, order, fit_n, classes), control = fit(x, shuffled, order, fit_n, classes);
    const std::string p = "linear_probe/" + o_.hook + "/" + o_.attribute + "/", score = classes ? "acc" : "r2";
    row.set(p + score, real.held);
    row.set(p + "train_" + score, real.train);
    row.set(p + "control_" + score, control.held);
    row.set(p + "selectivity", real.held - control.held);
    if (c.tensors) (*c.tensors)[p + "weights"] = real.weights.to(torch::kFloat).contiguous();
  }

 private:
  torch::Tensor attribute(ProbeContext& c, int64_t rows) const {
    const auto all = c.task.attributes(o_.set);
    const auto it = all.find(o_.attribute);
    if (it == all.end()) {
      std::vector<std::string> names;
      for (const auto& [name, _] : all) names.push_back(name);
      throw BadInput("linear_probe: the task has no attribute '" + o_.attribute + "' on its " + o_.set + " set; it has " +
                     (names.empty() ? std::string("none") : join(names)) + ".");
    }
    torch::Tensor y = it->second.slice(0, 0, std::min<int64_t>(o_.max_examples, it->second.size(0))).cpu();
    if (y.size(0) != rows) {  // position: all makes every position an example
      throw BadInput("linear_probe: attribute '" + o_.attribute + "' has one value per example; use position: last "
                     "or an index with " + o_.hook + ".");
    }
    return y.scalar_type() == torch::kLong ? y : y.to(torch::kDouble);
  }

  Fit fit(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& order, int64_t fit_n, bool classes) const {
    const torch::Tensor fit_rows = order.slice(0, 0, fit_n), held_rows = order.slice(0, fit_n);
    const torch::Tensor xf = x.index_select(0, fit_rows), mean = xf.mean(0, true);
    const auto design = [&](const torch::Tensor& rows) {
      const torch::Tensor z = x.index_select(0, rows) - mean;
      return torch::cat({z, torch::ones({z.size(0), 1}, torch::kDouble)}, 1);
    };
    const torch::Tensor a = design(fit_rows), b = design(held_rows);
    torch::Tensor targets;
    if (classes) {
      const int64_t c = y.max().item<int64_t>() + 1;
      targets = torch::one_hot(y.index_select(0, fit_rows), c).to(torch::kDouble);
    } else {
      targets = y.index_select(0, fit_rows).unsqueeze(1);
    }
    const int64_t d = a.size(1);
    const double variance = (xf - mean).pow(2).mean().item<double>();
    torch::Tensor penalty = torch::eye(d, torch::kDouble) * (o_.ridge * std::max(variance, 1e-12) * fit_n);
    penalty[d - 1][d - 1] = 0;  // the bias is not shrunk
    Fit out;
    out.weights = torch::linalg::solve(a.t().matmul(a) + penalty, a.t().matmul(targets), /*left=*/true);
    const auto evaluate = [&](const torch::Tensor& design_rows, const torch::Tensor& rows) {
      const torch::Tensor predicted = design_rows.matmul(out.weights), truth = y.index_select(0, rows);
      if (classes) return predicted.argmax(1).eq(truth).to(torch::kDouble).mean().item<double>();
      const torch::Tensor t = truth.to(torch::kDouble), residual = predicted.squeeze(1) - t;
      const double total = (t - t.mean()).pow(2).sum().item<double>();
      return total > 0 ? 1 - residual.pow(2).sum().item<double>() / total : 0.0;
    };
    out.train = evaluate(a, fit_rows);
    out.held = held_rows.numel() > 0 ? evaluate(b, held_rows) : 0.0;
    return out;
  }

  LinearProbeOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_linear_probe(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<LinearProbe>(dynamic_cast<const LinearProbeOptions&>(o));
}

}  // namespace phenom
