// Sparse autoencoders (dictionary learning on activations; Bricken et al. 2023, Cunningham et al.
// 2023) in SAELens' "standard" form: f = relu((x - b_dec) W_enc + b_enc), x_hat = f W_dec + b_dec,
// with W_enc [d_in, d_sae] and W_dec [d_sae, d_in]; or TopK (Gao et al. 2024): only the k largest
// pre-activations of each row pass the relu. The `sae` model trains one as an ordinary run on the
// `activations` task; the `sae` probe fits one inside a measurement.
#pragma once
#include <cstdint>

#include "spec/options.h"

namespace phenom {

struct SaeModelOptions : ModelOptions {
  int64_t expansion = 4;
  int64_t d_sae = 0;
  int64_t k = 0;
  double l1 = 1.0;
  void visit(Visitor& v) override {
    v.field("expansion", expansion, "dictionary size as a multiple of the input width d_in", AtLeast(1));
    v.field("d_sae", d_sae, "dictionary size; 0: expansion x d_in", NonNegative());
    v.field("k", k, "TopK: only each row's k largest pre-activations pass the relu, and the objective is the "
                    "reconstruction alone; 0: ReLU with the l1 penalty", NonNegative());
    v.field("l1", l1, "ReLU SAEs: the objective adds l1 x the decoder-norm weighted L1 of the features, "
                      "mean over rows of sum_j f_j |W_dec_j| (SAELens' scale_sparsity_penalty_by_decoder_norm)",
            NonNegative());
  }
  std::string accepts(const InputSpec& inputs) const override {
    if (inputs.kind == InputSpec::Kind::kFeatures && inputs.regression && !inputs.per_position &&
        inputs.num_classes == inputs.feature_dim) {
      return "";
    }
    return "it reconstructs its inputs, features [D] with D real targets (the activations task), not " +
           inputs.shape();
  }
  ModelSize size(const InputSpec& in) const override {
    const double m = static_cast<double>(d_sae > 0 ? d_sae : expansion * in.feature_dim);
    return {2 * m * static_cast<double>(in.feature_dim), m};
  }
};

}  // namespace phenom
