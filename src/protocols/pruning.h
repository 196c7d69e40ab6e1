// Masks for lottery tickets: magnitude pruning (layer-wise or global) and random masks of the
// same per-layer density. A mask maps a parameter name to a 0/1 tensor of its shape.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace phenom {

using Masks = std::map<std::string, torch::Tensor>;

struct PruneRule {
  std::vector<std::string> prunable;  // weight matrices in model order
  bool global = false;                // one threshold over all but the output layer (not pruned)
  double fraction = 0.2;              // of each layer's (or the pool's) remaining weights
  double output_fraction = 0.1;       // layer-wise: the output layer's
  std::string output;                 // the output layer; "": the last prunable one
  const std::string& output_layer() const { return output.empty() ? prunable.back() : output; }
};

// The model's weight matrices (parameters with two or more dimensions), in model order.
std::vector<std::string> weight_matrices(const std::map<std::string, torch::Tensor>& named, const std::vector<std::string>& order);

// All-ones masks for the prunable parameters.
Masks full_masks(const std::map<std::string, torch::Tensor>& weights, const PruneRule& rule);

// Removes the smallest-magnitude surviving weights: round(fraction x survivors) per layer, or over
// the pool (ties broken by position, so the result is deterministic).
Masks magnitude_prune(const std::map<std::string, torch::Tensor>& weights, const Masks& previous, const PruneRule& rule);

// A uniformly random mask with exactly as many kept weights per layer as `like`.
Masks random_masks(const Masks& like, torch::Generator& generator);

// Kept fraction over all masked weights, and per layer.
double density(const Masks& masks);

}  // namespace phenom
