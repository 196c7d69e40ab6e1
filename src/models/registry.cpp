// Models: one line per model.
#include "models/mlp.h"
#include "models/readout.h"
#include "models/sae.h"
#include "models/transformer.h"
#include "spec/component.h"

namespace phenom {

std::unique_ptr<Model> build_mlp(const ModelOptions&, BuildContext&);
std::unique_ptr<Model> build_transformer(const ModelOptions&, BuildContext&);
std::unique_ptr<Model> build_linear(const ModelOptions&, BuildContext&);
std::unique_ptr<Model> build_random_features(const ModelOptions&, BuildContext&);
std::unique_ptr<Model> build_sae_model(const ModelOptions&, BuildContext&);

const std::vector<ModelEntry>& model_registry() {
  static const std::vector<ModelEntry> registry = {
      {"mlp", "multi-layer perceptron; one-hot token embedding as a sum of rows", make_options<ModelOptions, MlpOptions>, build_mlp},
      {"transformer", "decoder-only causal transformer (Nanda et al. layout, TransformerLens names)",
       make_options<ModelOptions, TransformerOptions>, build_transformer},
      {"linear", "a linear readout of the inputs (no hidden layer)", make_options<ModelOptions, LinearOptions>, build_linear},
      {"random_features", "frozen random ReLU or Fourier features with a trainable linear readout",
       make_options<ModelOptions, RandomFeaturesOptions>, build_random_features},
      {"sae", "sparse autoencoder (SAELens' standard layout: W_enc, b_enc, W_dec, b_dec; ReLU with L1, or TopK) "
              "reconstructing the activations task's rows",
       make_options<ModelOptions, SaeModelOptions>, build_sae_model},
  };
  return registry;
}

}  // namespace phenom
