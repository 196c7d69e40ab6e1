#include "tasks/linear_regression.h"

#include "core/build_context.h"
#include "tasks/task.h"

namespace phenom {

std::optional<double> min_norm_expected_excess_risk(int64_t n, int64_t d, double sigma) {
  const double s2 = sigma * sigma, nn = static_cast<double>(n), dd = static_cast<double>(d);
  if (n <= d - 2) return (1.0 - nn / dd) + s2 * nn / (dd - nn - 1.0);
  if (n >= d + 2) return s2 * dd / (nn - dd - 1.0);
  return std::nullopt;
}

namespace {

class LinearRegression : public FixedSplitTask {
 public:
  LinearRegression(const LinearRegressionOptions& o, BuildContext& context) : FixedSplitTask(context), options_(o) {
    torch::Generator& g = context.data;
    auto beta = torch::randn({o.dim}, g, torch::kDouble);
    beta = beta / beta.norm();
    auto make = [&](int64_t n, bool noisy) {
      auto x = torch::randn({n, o.dim}, g, torch::kDouble);
      auto y = x.matmul(beta);
      if (noisy && o.noise > 0) y = y + o.noise * torch::randn({n}, g, torch::kDouble);
      return Batch{x.to(context.device, context.dtype), y.to(context.device, context.dtype)};
    };
    train_ = make(o.n_train, true);
    test_ = make(o.n_test, o.test_noise);
  }
  InputSpec inputs() const override { return options_.inputs(); }
  void describe(nlohmann::ordered_json& out) const override {
    out["n_train"] = options_.n_train;
    out["dim"] = options_.dim;
    out["noise"] = options_.noise;
    // Closed-form reference for a min-norm linear fit without bias (test/loss estimates it when
    // test_noise is false; add noise^2 otherwise).
    auto risk = min_norm_expected_excess_risk(options_.n_train, options_.dim, options_.noise);
    out["min_norm_expected_excess_risk"] = risk ? nlohmann::ordered_json(*risk) : nlohmann::ordered_json();
  }

 private:
  LinearRegressionOptions options_;
};

}  // namespace

std::unique_ptr<Task> build_linear_regression(const TaskOptions& options, BuildContext& context) {
  return std::make_unique<LinearRegression>(dynamic_cast<const LinearRegressionOptions&>(options), context);
}

}  // namespace phenom
