// Noisy linear regression with isotropic Gaussian inputs: the closed-form model system of
// sample-wise double descent (Hastie et al. 2022; Nakkiran 2019).
#pragma once
#include <cstdint>
#include <optional>

#include "spec/options.h"

namespace phenom {

struct LinearRegressionOptions : TaskOptions {
  int64_t dim = 100;
  int64_t n_train = 50;
  int64_t n_test = 10000;
  double noise = 0.5;
  bool test_noise = false;
  void visit(Visitor& v) override {
    v.field("dim", dim, "input dimension d; x ~ N(0, I_d)", AtLeast(1));
    v.field("n_train", n_train, "training samples n", AtLeast(1));
    v.field("n_test", n_test, "test samples", AtLeast(1));
    v.field("noise", noise, "sigma: y = x . beta + sigma * N(0, 1), with |beta| = 1", NonNegative());
    v.field("test_noise", test_noise, "add the noise to test targets too (false: test/loss is the excess risk "
                                      "|beta_hat - beta|^2 itself)");
  }
  InputSpec inputs() const override {
    InputSpec spec;
    spec.kind = InputSpec::Kind::kFeatures;
    spec.feature_dim = dim;
    spec.num_classes = 1;
    spec.regression = true;
    return spec;
  }
  DataSize data_size() const override {
    return {static_cast<double>(n_train), static_cast<double>(n_train) + static_cast<double>(n_test)};
  }
};

// Expected excess risk E|beta_hat - beta|^2 of the minimum-norm least-squares estimator for
// |beta| = 1: (1 - n/d) + sigma^2 n / (d - n - 1) for n <= d - 2, sigma^2 d / (n - d - 1) for
// n >= d + 2; none within one of the threshold, where it is infinite.
std::optional<double> min_norm_expected_excess_risk(int64_t n, int64_t d, double sigma);

}  // namespace phenom
