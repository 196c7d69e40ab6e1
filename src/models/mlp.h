#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct MlpOptions : ModelOptions {
  int64_t depth = 1;  // hidden layers
  int64_t width = 512;
  std::string activation = "relu";
  bool bias = true;
  double init_std = 0.0;
  double init_scale = 1.0;
  std::string embedding = "auto";
  void visit(Visitor& v) override {
    v.field("depth", depth, "number of hidden layers", AtLeast(1));
    v.field("width", width, "units per hidden layer", AtLeast(1));
    v.field("activation", activation, "hidden nonlinearity (quadratic: x^2)", OneOf({"relu", "gelu", "tanh", "quadratic"}));
    v.field("bias", bias, "biases in every layer");
    v.field("init_std", init_std, "weights ~ N(0, init_std^2), biases 0; 0: PyTorch's default U(+-1/sqrt(fan_in))",
            NonNegative());
    v.field("init_scale", init_scale, "multiplies every initial weight (init-scale studies)", Positive());
    v.field("embedding", embedding, "token inputs: one_hot (one-hot concatenation of the operand tokens, computed "
                                    "as a sum of embedding rows); features: none; auto picks",
            OneOf({"auto", "one_hot", "none"}));
  }
  std::string accepts(const InputSpec& inputs) const override;
};

}  // namespace phenom
