// Decoder-only causal transformer in the style of Nanda et al. (2023) and GPT-2: learned token
// embeddings (or, for sequences of vectors, a linear read-in), learned absolute positions, pre-LN
// optional, attention without biases, MLP with biases; the readout at the last position (one
// prediction per example) or at every position (tasks that predict per position). Parameter names
// and shapes follow TransformerLens (W_Q: [n_heads, d_model, d_head]).
#include "models/transformer.h"

#include "core/build_context.h"
#include "models/init.h"
#include "models/model.h"
#include "ops/dense.h"

namespace phenom {
namespace {

// Hook ids of one block.
struct BlockHooks {
  int resid_pre, q, k, v, attn_scores, pattern, z, attn_out, resid_mid, mlp_pre, mlp_post, mlp_out, resid_post;
};

class Transformer : public Model {
 public:
  Transformer(const TransformerOptions& o, BuildContext& context) : options_(o) {
    const InputSpec& in = context.inputs;
    const double s = o.init_scale, d = static_cast<double>(o.d_model);
    const bool gpt2 = o.init == TransformerInit::kGpt2;
    // Nanda et al.: N(0, 1/d_model); GPT-2: N(0, 0.02), output projections 0.02 / sqrt(2 L).
    const double weight_std = gpt2 ? 0.02 : 1 / std::sqrt(d);
    const double out_std = gpt2 ? 0.02 / std::sqrt(2.0 * static_cast<double>(o.n_layers)) : weight_std;
    auto normal = [&](std::vector<int64_t> shape, double std) {
      return torch::empty(shape, torch::kFloat).normal_(0.0, std * s, context.init);
    };
    vectors_ = in.kind == InputSpec::Kind::kVectors;
    per_position_ = in.per_position;
    if (vectors_) {  // linear read-in of each position's vector [D] -> [d_model]
      W_E_ = register_dotted(*this, "embed.W_E", normal({in.feature_dim, o.d_model}, gpt2 ? 0.02 : 1 / std::sqrt(static_cast<double>(in.feature_dim))));
      b_E_ = register_dotted(*this, "embed.b_E", torch::zeros({o.d_model}));
    } else {
      W_E_ = register_dotted(*this, "embed.W_E", normal({in.vocab_size, o.d_model}, weight_std));
    }
    if (o.positions == PositionEmbedding::kLearned) {
      W_pos_ = register_dotted(*this, "pos_embed.W_pos", normal({in.seq_len, o.d_model}, gpt2 ? 0.01 : weight_std));
    }
    hook_embed_ = hooks_.declare("hook_embed");
    hook_pos_embed_ = hooks_.declare("hook_pos_embed");
    for (int64_t l = 0; l < o.n_layers; ++l) {
      std::string b = "blocks." + std::to_string(l);
      Block block;
      if (o.layer_norm) {
        block.ln1_w = register_dotted(*this, b + ".ln1.w", torch::ones({o.d_model}));
        block.ln1_b = register_dotted(*this, b + ".ln1.b", torch::zeros({o.d_model}));
      }
      block.W_Q = register_dotted(*this, b + ".attn.W_Q", normal({o.n_heads, o.d_model, o.d_head}, weight_std));
      block.W_K = register_dotted(*this, b + ".attn.W_K", normal({o.n_heads, o.d_model, o.d_head}, weight_std));
      block.W_V = register_dotted(*this, b + ".attn.W_V", normal({o.n_heads, o.d_model, o.d_head}, weight_std));
      block.W_O = register_dotted(*this, b + ".attn.W_O", normal({o.n_heads, o.d_head, o.d_model}, out_std));
      if (!o.attn_only) {
        if (o.layer_norm) {
          block.ln2_w = register_dotted(*this, b + ".ln2.w", torch::ones({o.d_model}));
          block.ln2_b = register_dotted(*this, b + ".ln2.b", torch::zeros({o.d_model}));
        }
        const int64_t d_mlp = o.mlp_width();
        block.W_in = register_dotted(*this, b + ".mlp.W_in", normal({o.d_model, d_mlp}, weight_std));
        block.b_in = register_dotted(*this, b + ".mlp.b_in", torch::zeros({d_mlp}));
        block.W_out = register_dotted(*this, b + ".mlp.W_out", normal({d_mlp, o.d_model}, out_std));
        block.b_out = register_dotted(*this, b + ".mlp.b_out", torch::zeros({o.d_model}));
      }
      block.hooks = {hooks_.declare(b + ".hook_resid_pre"),   hooks_.declare(b + ".attn.hook_q"),
                     hooks_.declare(b + ".attn.hook_k"),      hooks_.declare(b + ".attn.hook_v"),
                     hooks_.declare(b + ".attn.hook_attn_scores"), hooks_.declare(b + ".attn.hook_pattern"),
                     hooks_.declare(b + ".attn.hook_z"),      hooks_.declare(b + ".hook_attn_out"),
                     hooks_.declare(b + ".hook_resid_mid"),   o.attn_only ? -1 : hooks_.declare(b + ".mlp.hook_pre"),
                     o.attn_only ? -1 : hooks_.declare(b + ".mlp.hook_post"),
                     o.attn_only ? -1 : hooks_.declare(b + ".hook_mlp_out"), hooks_.declare(b + ".hook_resid_post")};
      blocks_.push_back(block);
    }
    if (o.layer_norm) {
      ln_final_w_ = register_dotted(*this, "ln_final.w", torch::ones({o.d_model}));
      ln_final_b_ = register_dotted(*this, "ln_final.b", torch::zeros({o.d_model}));
    }
    const double unembed_std = gpt2 ? 0.02 : 1 / std::sqrt(static_cast<double>(vectors_ ? o.d_model : in.vocab_size));
    W_U_ = register_dotted(*this, "unembed.W_U", normal({o.d_model, in.num_classes}, unembed_std));
    // Causal mask [T, T]: true where a query may not look (future keys).
    mask_ = register_buffer("mask", torch::ones({in.seq_len, in.seq_len}, torch::kBool).triu(1));
  }

  // tokens int64 [B, T] or vectors [B, T, D] -> [B, num_classes] at the last position, or
  // [B, T, num_classes] when the task predicts at every position.
  torch::Tensor forward(const torch::Tensor& inputs) override {
    const int64_t T = inputs.size(1);
    auto resid = hook(hook_embed_, vectors_ ? phenom::matmul(inputs, W_E_, b_E_) : torch::embedding(W_E_, inputs));
    if (W_pos_.defined()) resid = resid + hook(hook_pos_embed_, W_pos_.slice(0, 0, T));  // [B, T, d_model]
    for (auto& block : blocks_) resid = run_block(block, resid);
    if (options_.layer_norm) resid = layer_norm(resid, ln_final_w_, ln_final_b_);
    if (per_position_) return phenom::matmul(resid, W_U_);  // [B, T, num_classes]
    return phenom::matmul(resid.select(1, T - 1), W_U_);  // [B, num_classes]
  }

 private:
  struct Block {
    torch::Tensor ln1_w, ln1_b, ln2_w, ln2_b, W_Q, W_K, W_V, W_O, W_in, b_in, W_out, b_out;
    BlockHooks hooks;
  };

  static torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    return torch::layer_norm(x, {x.size(-1)}, w, b, 1e-5);
  }

  // x [B, T, d_model] @ W [H, d_model, d_head] -> [B, T, H, d_head]
  static torch::Tensor project(const torch::Tensor& x, const torch::Tensor& W) {
    const int64_t H = W.size(0), D = W.size(1), E = W.size(2);
    auto flat = W.permute({1, 0, 2}).reshape({D, H * E});
    return phenom::matmul(x, flat).view({x.size(0), x.size(1), H, E});
  }

  torch::Tensor run_block(Block& b, torch::Tensor resid) {
    const auto& h = b.hooks;
    resid = hook(h.resid_pre, resid);
    auto x = options_.layer_norm ? layer_norm(resid, b.ln1_w, b.ln1_b) : resid;
    auto q = hook(h.q, project(x, b.W_Q)), k = hook(h.k, project(x, b.W_K)), v = hook(h.v, project(x, b.W_V));
    // scores [B, H, T_q, T_k]
    auto scores = torch::matmul(q.transpose(1, 2), k.permute({0, 2, 3, 1})) / std::sqrt(static_cast<double>(options_.d_head));
    const int64_t T = resid.size(1);
    scores = hook(h.attn_scores, scores.masked_fill(mask_.slice(0, 0, T).slice(1, 0, T), -1e30));
    auto pattern = hook(h.pattern, torch::softmax(scores, -1));
    auto z = hook(h.z, torch::matmul(pattern, v.transpose(1, 2)).transpose(1, 2));  // [B, T, H, d_head]
    const int64_t H = b.W_O.size(0), E = b.W_O.size(1);
    auto attn_out = hook(h.attn_out, phenom::matmul(z.reshape({z.size(0), T, H * E}), b.W_O.reshape({H * E, -1})));
    resid = hook(h.resid_mid, resid + attn_out);
    if (!options_.attn_only) {
      auto y = options_.layer_norm ? layer_norm(resid, b.ln2_w, b.ln2_b) : resid;
      auto pre = hook(h.mlp_pre, phenom::matmul(y, b.W_in, b.b_in));
      auto post = hook(h.mlp_post, activate(options_.activation, pre));
      auto mlp_out = hook(h.mlp_out, phenom::matmul(post, b.W_out, b.b_out));
      resid = resid + mlp_out;
    }
    return hook(h.resid_post, resid);
  }

  TransformerOptions options_;
  torch::Tensor W_E_, b_E_, W_pos_, W_U_, ln_final_w_, ln_final_b_, mask_;
  bool vectors_ = false, per_position_ = false;
  int hook_embed_, hook_pos_embed_;
  std::vector<Block> blocks_;
};

}  // namespace

std::unique_ptr<Model> build_transformer(const ModelOptions& options, BuildContext& context) {
  return std::make_unique<Transformer>(dynamic_cast<const TransformerOptions&>(options), context);
}

}  // namespace phenom
