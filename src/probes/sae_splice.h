// What the SAE instruments (the `sae` probe, and `dictionary` on an SAE run) share: a model's loss
// with an SAE's reconstruction spliced in at a hook, and SAELens' files for its weights.
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

#include "models/sae_weights.h"

namespace phenom {

class Model;
class Task;
struct Batch;

struct SpliceLosses {
  double clean = 0, spliced = 0, zero = 0;
  std::optional<double> recovered;  // (zero - spliced) / (zero - clean), SAELens' CE loss score
  int64_t context_size = 1;         // positions of the hook's activation (1 without a position axis)
};

// The task's `loss` on `set` with the hook's activation as is, replaced by the SAE's reconstruction
// at `position` (all, last or an index, as the SAE's rows were taken), and zeroed there.
SpliceLosses splice_losses(Model& model, const Task& task, Loss loss, const Batch& set,
                           const std::string& hook, const std::string& position, const SaeWeights& sae);

// sae_weights.safetensors' tensors: W_enc, b_enc, W_dec, b_dec in float32 on the CPU.
std::map<std::string, torch::Tensor> saelens_weights(const SaeWeights& sae);

// SAELens' cfg.json for a "standard" SAE (SAE.load_from_disk reads it with sae_weights.safetensors).
nlohmann::ordered_json saelens_config(const SaeWeights& sae, const std::string& hook, int64_t context_size,
                                      const std::string& model_name, const std::string& dataset, double l1);

}  // namespace phenom
