#pragma once
#include <string>
#include <vector>

#include "spec/options.h"

namespace phenom {

// How an MLP reads its inputs: token ids one-hot (as a sum of embedding rows), features as they
// are, or whichever the task's inputs need.
enum class MlpEmbedding { kAuto, kOneHot, kNone };
template <>
struct Words<MlpEmbedding> {
  static constexpr std::array names{"auto", "one_hot", "none"};
};

struct MlpOptions : ModelOptions {
  int64_t depth = 1;  // hidden layers
  int64_t width = 512;
  Activation activation = Activation::kRelu;
  bool bias = true;
  double init_std = 0.0;
  double init_scale = 1.0;
  MlpEmbedding embedding = MlpEmbedding::kAuto;
  std::vector<double> widths;  // per hidden layer; empty: depth x width
  // The hidden layers' widths.
  std::vector<int64_t> layer_widths() const {
    if (widths.empty()) return std::vector<int64_t>(static_cast<size_t>(depth), width);
    std::vector<int64_t> out;
    for (double w : widths) out.push_back(static_cast<int64_t>(w));
    return out;
  }
  void visit(Visitor& v) override {
    v.field("depth", depth, "number of hidden layers", AtLeast(1));
    v.field("width", width, "units per hidden layer", AtLeast(1));
    v.field("activation", activation, "hidden nonlinearity (quadratic: x^2)");
    v.field("bias", bias, "biases in every layer");
    v.field("init_std", init_std, "weights ~ N(0, init_std^2), biases 0; 0: PyTorch's default U(+-1/sqrt(fan_in))",
            NonNegative());
    v.field("init_scale", init_scale, "multiplies every initial weight (init-scale studies)", Positive());
    v.field("embedding", embedding, "token inputs: one_hot (one-hot concatenation of the operand tokens, computed "
                                    "as a sum of embedding rows); features: none; auto picks");
    v.field("widths", widths, "per-layer hidden widths, e.g. [300, 100] (LeNet-300-100); replaces depth and width");
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    for (double w : widths) {
      if (w < 1 || w != static_cast<double>(static_cast<int64_t>(w))) {
        problems.push_back({"widths", "found " + std::to_string(w) + "; every width is an integer >= 1. Fix: e.g. "
                                      "widths: [300, 100]."});
        return;
      }
    }
  }
  std::string accepts(const InputSpec& inputs) const override;
  ModelSize size(const InputSpec& inputs) const override;
};

}  // namespace phenom
