#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

// Absolute position embeddings (learned) or none (the causal mask alone orders the tokens).
enum class PositionEmbedding { kLearned, kNone };
template <>
struct Words<PositionEmbedding> {
  static constexpr std::array names{"learned", "none"};
};
// The initial weights: Nanda et al.'s N(0, 1/d_model), or GPT-2's N(0, 0.02) with scaled projections.
enum class TransformerInit { kNanda, kGpt2 };
template <>
struct Words<TransformerInit> {
  static constexpr std::array names{"nanda", "gpt2"};
};

struct TransformerOptions : ModelOptions {
  int64_t n_layers = 1;
  int64_t d_model = 128;
  int64_t n_heads = 4;
  int64_t d_head = 32;
  int64_t d_mlp = 512;
  Activation activation = Activation::kRelu;
  bool layer_norm = false;
  bool attn_only = false;
  double init_scale = 1.0;
  double mlp_ratio = 0.0;
  PositionEmbedding positions = PositionEmbedding::kLearned;
  TransformerInit init = TransformerInit::kNanda;
  // The MLP width: mlp_ratio x d_model when mlp_ratio is set, else d_mlp.
  int64_t mlp_width() const { return mlp_ratio > 0 ? static_cast<int64_t>(mlp_ratio * d_model + 0.5) : d_mlp; }
  void visit(Visitor& v) override {
    v.field("n_layers", n_layers, "transformer blocks", AtLeast(1));
    v.field("d_model", d_model, "residual stream width", AtLeast(1));
    v.field("n_heads", n_heads, "attention heads per block", AtLeast(1));
    v.field("d_head", d_head, "width of each head", AtLeast(1));
    v.field("d_mlp", d_mlp, "MLP hidden width", AtLeast(1));
    v.field("activation", activation, "MLP nonlinearity");
    v.field("layer_norm", layer_norm, "pre-LayerNorm in each block and before the unembedding (GPT-2: true; Nanda et al.: false)");
    v.field("attn_only", attn_only, "drop the MLPs (attention-only model)");
    v.field("mlp_ratio", mlp_ratio, "MLP width as a multiple of d_model (GPT-2: 4); 0: use d_mlp", NonNegative());
    v.field("positions", positions, "learned: absolute position embeddings pos_embed.W_pos; none: no positional "
                                    "information besides the causal mask");
    v.field("init", init, "nanda: N(0, 1/d_model) weights (Nanda et al.); gpt2: N(0, 0.02), with the attention and "
                          "MLP output projections N(0, 0.02/sqrt(2 n_layers)) (GPT-2)");
    v.field("init_scale", init_scale, "multiplies every initial weight (Nanda et al. init: N(0, 1/d_model), "
                                      "unembedding N(0, 1/d_vocab), biases 0)", Positive());
  }
  std::string accepts(const InputSpec& inputs) const override {
    if (inputs.kind == InputSpec::Kind::kTokens || inputs.kind == InputSpec::Kind::kVectors) return "";
    return "the transformer consumes token sequences [T] or vector sequences [T, D], not " + inputs.shape();
  }
  ModelSize size(const InputSpec& in) const override {
    const double d = static_cast<double>(d_model), t = static_cast<double>(in.seq_len);
    const double heads = static_cast<double>(n_heads * d_head), mlp = attn_only ? 0.0 : static_cast<double>(mlp_width());
    const double embed = in.kind == InputSpec::Kind::kTokens ? static_cast<double>(in.vocab_size) : static_cast<double>(in.feature_dim);
    ModelSize size;
    size.parameters = embed * d + static_cast<double>(n_layers) * (4 * d * heads + 2 * d * mlp) +
                      d * static_cast<double>(in.num_classes);
    // Per position and block: the residual stream, q/k/v, the attention pattern and the MLP.
    size.activations_per_example =
        t * static_cast<double>(n_layers) * (d + 3 * heads + static_cast<double>(n_heads) * t + mlp);
    return size;
  }
};

}  // namespace phenom
