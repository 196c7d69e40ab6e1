// Models whose only trainable part is a linear readout: `linear` (readout of the inputs) and
// `random_features` (readout of frozen random features). Both can be fitted in closed form
// (train.fit: min_norm) or trained by gradient steps.
#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

// A readout's initial weights: zero, or PyTorch's default U(+-1/sqrt(fan_in)).
enum class ReadoutInit { kZero, kDefault };
template <>
struct Words<ReadoutInit> {
  static constexpr std::array names{"zero", "default"};
};
// The frozen random features: relu(W x), or random Fourier features.
enum class RandomFeatureKind { kRelu, kFourier };
template <>
struct Words<RandomFeatureKind> {
  static constexpr std::array names{"relu", "fourier"};
};

struct ReadoutOptionsBase : ModelOptions {
  bool bias = false;
  ReadoutInit init = ReadoutInit::kZero;
  void visit_readout(Visitor& v) {
    v.field("bias", bias, "a trainable bias in the readout (the closed-form theory has none)");
    v.field("init", init, "readout initialisation: zero (gradient descent from zero converges to the minimum-norm "
                          "solution) or default (PyTorch's U(+-1/sqrt(fan_in)))");
  }
  std::string accepts(const InputSpec& inputs) const override {
    return inputs.kind == InputSpec::Kind::kFeatures && !inputs.per_position
               ? ""
               : "it consumes features [D] with one prediction per example, not " + inputs.shape();
  }
  bool linear_readout() const override { return true; }
};

struct LinearOptions : ReadoutOptionsBase {
  void visit(Visitor& v) override { visit_readout(v); }
  ModelSize size(const InputSpec& in) const override {
    return {in.values_per_example() * static_cast<double>(in.num_classes), 0};
  }
};

struct RandomFeaturesOptions : ReadoutOptionsBase {
  int64_t width = 1000;
  RandomFeatureKind features = RandomFeatureKind::kRelu;
  double bandwidth = 1.0;
  void visit(Visitor& v) override {
    v.field("width", width, "number of random features N", AtLeast(1));
    v.field("features", features,
            "relu: relu(W x) with W ~ N(0, 1/d); fourier: sqrt(2) cos(W x + b), W ~ N(0, 1/(bandwidth^2 d)), "
            "b ~ U(0, 2 pi) (random Fourier features of a Gaussian kernel); both divided by sqrt(N)");
    v.field("bandwidth", bandwidth, "fourier: kernel length scale in units of sqrt(input dimension)", Positive());
    visit_readout(v);
  }
  ModelSize size(const InputSpec& in) const override {  // the frozen features count: they are held too
    const double n = static_cast<double>(width);
    return {in.values_per_example() * n + n * static_cast<double>(in.num_classes), n};
  }
};

}  // namespace phenom
