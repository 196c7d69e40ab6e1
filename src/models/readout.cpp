#include "models/readout.h"

#include <cmath>

#include "core/build_context.h"
#include "models/init.h"
#include "models/model.h"
#include "ops/dense.h"

namespace phenom {
namespace {

// readout.weight [outputs, F] (+ readout.bias) on features phi(x) [B, F].
class ReadoutModel : public Model {
 public:
  torch::Tensor forward(const torch::Tensor& inputs) override {
    return phenom::linear(readout_features(inputs), weight_, bias_);
  }
  torch::Tensor readout_features(const torch::Tensor& inputs) override {
    return hook(hook_features_, features(inputs.flatten(1)));
  }
  torch::Tensor readout_weight() override { return weight_; }
  torch::Tensor readout_bias() override { return bias_; }

 protected:
  virtual torch::Tensor features(const torch::Tensor& x) = 0;
  void make_readout(const ReadoutOptionsBase& o, int64_t features_dim, int64_t outputs, BuildContext& context) {
    auto w = o.init == ReadoutInit::kZero ? torch::zeros({outputs, features_dim})
                                          : init_weight({outputs, features_dim}, features_dim, 0.0, 1.0, context.init);
    weight_ = register_dotted(*this, "readout.weight", w);
    if (o.bias) {
      auto b = o.init == ReadoutInit::kZero ? torch::zeros({outputs})
                                            : init_bias(outputs, features_dim, 0.0, context.init);
      bias_ = register_dotted(*this, "readout.bias", b);
    }
    hook_features_ = hooks_.declare("features.hook_post");
  }

 private:
  torch::Tensor weight_, bias_;
  int hook_features_ = -1;
};

class Linear : public ReadoutModel {
 public:
  Linear(const LinearOptions& o, BuildContext& context) {
    make_readout(o, context.inputs.feature_dim, context.inputs.num_classes, context);
  }

 protected:
  torch::Tensor features(const torch::Tensor& x) override { return x; }
};

class RandomFeatures : public ReadoutModel {
 public:
  RandomFeatures(const RandomFeaturesOptions& o, BuildContext& context) : options_(o) {
    const int64_t d = context.inputs.feature_dim;
    const double scale = o.features == RandomFeatureKind::kFourier ? 1.0 / (o.bandwidth * std::sqrt(double(d)))
                                                                   : 1.0 / std::sqrt(double(d));
    // Frozen: buffers, so they are saved with the model but never trained.
    projection_ = register_dotted(*this, "features.W", torch::empty({o.width, d}).normal_(0.0, scale, context.init), true);
    if (o.features == RandomFeatureKind::kFourier) {
      phase_ = register_dotted(*this, "features.b", torch::empty({o.width}).uniform_(0.0, 2 * M_PI, context.init), true);
    }
    make_readout(o, o.width, context.inputs.num_classes, context);
  }

 protected:
  torch::Tensor features(const torch::Tensor& x) override {
    const double norm = 1.0 / std::sqrt(static_cast<double>(options_.width));
    if (options_.features == RandomFeatureKind::kFourier) {
      return torch::cos(phenom::linear(x, projection_, phase_)) * (std::sqrt(2.0) * norm);
    }
    return torch::relu(phenom::linear(x, projection_)) * norm;
  }

 private:
  RandomFeaturesOptions options_;
  torch::Tensor projection_, phase_;
};

}  // namespace

std::unique_ptr<Model> build_linear(const ModelOptions& options, BuildContext& context) {
  return std::make_unique<Linear>(dynamic_cast<const LinearOptions&>(options), context);
}
std::unique_ptr<Model> build_random_features(const ModelOptions& options, BuildContext& context) {
  return std::make_unique<RandomFeatures>(dynamic_cast<const RandomFeaturesOptions&>(options), context);
}

}  // namespace phenom
