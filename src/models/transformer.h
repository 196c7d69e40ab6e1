#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct TransformerOptions : ModelOptions {
  int64_t n_layers = 1;
  int64_t d_model = 128;
  int64_t n_heads = 4;
  int64_t d_head = 32;
  int64_t d_mlp = 512;
  std::string activation = "relu";
  bool layer_norm = false;
  bool attn_only = false;
  double init_scale = 1.0;
  void visit(Visitor& v) override {
    v.field("n_layers", n_layers, "transformer blocks", AtLeast(1));
    v.field("d_model", d_model, "residual stream width", AtLeast(1));
    v.field("n_heads", n_heads, "attention heads per block", AtLeast(1));
    v.field("d_head", d_head, "width of each head", AtLeast(1));
    v.field("d_mlp", d_mlp, "MLP hidden width", AtLeast(1));
    v.field("activation", activation, "MLP nonlinearity", OneOf({"relu", "gelu", "tanh", "quadratic"}));
    v.field("layer_norm", layer_norm, "pre-LayerNorm in each block and before the unembedding (Nanda et al.: false)");
    v.field("attn_only", attn_only, "drop the MLPs (attention-only model)");
    v.field("init_scale", init_scale, "multiplies every initial weight (Nanda et al. init: N(0, 1/d_model), "
                                      "unembedding N(0, 1/d_vocab), biases 0)", Positive());
  }
  std::string accepts(const InputSpec& inputs) const override {
    return inputs.kind == InputSpec::Kind::kTokens ? "" : "the transformer reads token sequences";
  }
};

}  // namespace phenom
