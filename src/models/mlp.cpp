// Multi-layer perceptron. On token inputs the first layer is the one-hot concatenation of the
// operand tokens times W, computed as a sum of rows of W (no one-hot matmul):
//   h = W[a] + W[V + b] (+ bias)        W: [operand_tokens * V, width]
#include "models/mlp.h"

#include <optional>

#include "core/build_context.h"
#include "models/init.h"
#include "models/model.h"
#include "ops/dense.h"

namespace phenom {

torch::Tensor activate(Activation activation, const torch::Tensor& x) {
  switch (activation) {
    case Activation::kRelu: return torch::relu(x);
    case Activation::kGelu: return torch::gelu(x);
    case Activation::kTanh: return torch::tanh(x);
    case Activation::kQuadratic: return phenom::square(x);
  }
  throw std::invalid_argument("unknown activation");
}

std::string MlpOptions::accepts(const InputSpec& inputs) const {
  bool tokens = inputs.kind == InputSpec::Kind::kTokens;
  if (!tokens && inputs.kind != InputSpec::Kind::kFeatures) {
    return "the mlp consumes tokens [T] or features [D], not " + inputs.shape() +
           " (flatten images with the task's flatten option; sequences of vectors need a transformer)";
  }
  if (inputs.per_position) return "the mlp predicts one output per example, not one per position";
  if (embedding == MlpEmbedding::kOneHot && !tokens) return "embedding one_hot needs token inputs; use embedding: none";
  if (embedding == MlpEmbedding::kNone && tokens) return "token inputs need embedding: one_hot (or auto)";
  return "";
}

ModelSize MlpOptions::size(const InputSpec& in) const {
  const bool tokens = in.kind == InputSpec::Kind::kTokens;
  double fan_in = tokens ? static_cast<double>(in.operand_tokens > 0 ? in.operand_tokens : in.seq_len) *
                               static_cast<double>(in.operand_vocab > 0 ? in.operand_vocab : in.vocab_size)
                         : in.values_per_example();
  ModelSize size;
  for (int64_t w : layer_widths()) {
    size.parameters += fan_in * static_cast<double>(w);
    size.activations_per_example += static_cast<double>(w);
    fan_in = static_cast<double>(w);
  }
  size.parameters += fan_in * static_cast<double>(in.num_classes);
  return size;
}

namespace {

class Mlp : public Model {
 public:
  Mlp(const MlpOptions& o, BuildContext& context) : options_(o) {
    const InputSpec& in = context.inputs;
    tokens_ = in.kind == InputSpec::Kind::kTokens;
    if (tokens_) {
      operand_tokens_ = in.operand_tokens > 0 ? in.operand_tokens : in.seq_len;
      operand_vocab_ = in.operand_vocab > 0 ? in.operand_vocab : in.vocab_size;
    }
    int64_t fan_in = tokens_ ? operand_tokens_ * operand_vocab_ : in.feature_dim;
    const std::vector<int64_t> widths = o.layer_widths();
    for (size_t l = 0; l < widths.size(); ++l) {
      std::string prefix = "layers." + std::to_string(l);
      const int64_t layer_in = l == 0 ? fan_in : widths[l - 1], width = widths[l];
      // Layer 0 on tokens is stored input-major ([in, width]) so a row is one token's embedding.
      auto shape = (l == 0 && tokens_) ? std::vector<int64_t>{layer_in, width} : std::vector<int64_t>{width, layer_in};
      weights_.push_back(register_dotted(*this, prefix + ".weight", init_weight(shape, layer_in, o.init_std, o.init_scale, context.init)));
      if (o.bias) biases_.push_back(register_dotted(*this, prefix + ".bias", init_bias(width, layer_in, o.init_std, context.init)));
      hook_pre_.push_back(hooks_.declare(prefix + ".hook_pre"));
      hook_post_.push_back(hooks_.declare(prefix + ".hook_post"));
    }
    const int64_t last = widths.back();
    readout_weight_ = register_dotted(*this, "readout.weight", init_weight({in.num_classes, last}, last, o.init_std, o.init_scale, context.init));
    if (o.bias) readout_bias_ = register_dotted(*this, "readout.bias", init_bias(in.num_classes, last, o.init_std, context.init));
    if (tokens_ && !o.bias && (o.activation == Activation::kQuadratic || o.activation == Activation::kRelu)) {
      fused_first_layer_ = o.activation == Activation::kQuadratic ? Pointwise::kQuadratic : Pointwise::kRelu;
    }
  }

  torch::Tensor forward(const torch::Tensor& inputs) override {
    torch::Tensor h;
    for (size_t l = 0; l < weights_.size(); ++l) {
      if (l == 0 && tokens_) {
        const torch::Tensor operands = inputs.slice(1, 0, operand_tokens_);
        if (fused_first_layer_ && !hooks_.active()) {
          // Nothing reads the pre-activation: gather and activation in one pass (models/dense.h).
          h = embedding_sum_activated(weights_[0], operands, operand_vocab_, *fused_first_layer_);
          continue;
        }
        // inputs [B, T]: h = sum_t W[t*V + x_t]  -> [B, width], one gather pass (models/dense.h).
        h = embedding_sum(weights_[0], operands, operand_vocab_);
        if (!biases_.empty()) h = h + biases_[0];
      } else {
        h = phenom::linear(l == 0 ? inputs.flatten(1) : h, weights_[l], biases_.empty() ? torch::Tensor() : biases_[l]);
      }
      h = hook(hook_pre_[l], h);
      h = hook(hook_post_[l], activate(options_.activation, h));
    }
    return phenom::linear(h, readout_weight_, readout_bias_);
  }

 private:
  MlpOptions options_;
  bool tokens_ = false;
  int64_t operand_tokens_ = 0, operand_vocab_ = 0;
  std::optional<Pointwise> fused_first_layer_;  // token inputs, no bias, an activation with a fused pass
  std::vector<torch::Tensor> weights_, biases_;
  torch::Tensor readout_weight_, readout_bias_;
  std::vector<int> hook_pre_, hook_post_;
};

}  // namespace

std::unique_ptr<Model> build_mlp(const ModelOptions& options, BuildContext& context) {
  return std::make_unique<Mlp>(dynamic_cast<const MlpOptions&>(options), context);
}

}  // namespace phenom
