#include "protocols/pruning.h"

#include <cmath>

namespace phenom {
namespace {

// Zeroes the `count` smallest |values| among the entries where `alive`; returns the new alive mask.
torch::Tensor drop_smallest(const torch::Tensor& values, const torch::Tensor& alive, int64_t count) {
  torch::Tensor flat_alive = alive.flatten().to(torch::kBool);
  torch::Tensor score = values.flatten().abs().to(torch::kDouble);
  score = score.masked_fill(flat_alive.logical_not(), std::numeric_limits<double>::infinity());
  // A stable sort: equal magnitudes are pruned in index order.
  const torch::Tensor order = std::get<1>(score.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  torch::Tensor kept = flat_alive.clone();
  kept.index_fill_(0, order.slice(0, 0, count), false);
  return kept.view(alive.sizes()).to(torch::kFloat);
}

}  // namespace

std::vector<std::string> weight_matrices(const std::map<std::string, torch::Tensor>& named,
                                         const std::vector<std::string>& order) {
  std::vector<std::string> out;
  for (const auto& name : order) if (named.at(name).dim() >= 2) out.push_back(name);
  return out;
}

Masks full_masks(const std::map<std::string, torch::Tensor>& weights, const PruneRule& rule) {
  Masks out;
  for (const auto& name : rule.prunable) out[name] = torch::ones(weights.at(name).sizes(), torch::kFloat);
  return out;
}

Masks magnitude_prune(const std::map<std::string, torch::Tensor>& weights, const Masks& previous, const PruneRule& rule) {
  Masks out = previous;
  const std::string& output = rule.output_layer();
  if (!rule.global) {
    for (const auto& name : rule.prunable) {
      const torch::Tensor& alive = previous.at(name);
      const double fraction = name == output ? rule.output_fraction : rule.fraction;
      const int64_t count = std::llround(fraction * alive.sum().item<double>());
      out[name] = drop_smallest(weights.at(name).detach().cpu(), alive, count);
    }
    return out;
  }
  // Global: one pool of every prunable layer but the output layer.
  std::vector<torch::Tensor> values, alive;
  std::vector<std::string> names;
  for (const auto& name : rule.prunable) {
    if (name == output) continue;
    names.push_back(name);
    values.push_back(weights.at(name).detach().cpu().flatten());
    alive.push_back(previous.at(name).flatten());
  }
  const torch::Tensor all_alive = torch::cat(alive);
  const int64_t count = std::llround(rule.fraction * all_alive.sum().item<double>());
  const torch::Tensor kept = drop_smallest(torch::cat(values), all_alive, count);
  int64_t offset = 0;
  for (const auto& name : names) {
    const int64_t n = previous.at(name).numel();
    out[name] = kept.slice(0, offset, offset + n).view(previous.at(name).sizes()).clone();
    offset += n;
  }
  return out;
}

Masks random_masks(const Masks& like, torch::Generator& generator) {
  Masks out;
  for (const auto& [name, mask] : like) {
    const int64_t kept = static_cast<int64_t>(mask.sum().item<double>());
    torch::Tensor flat = torch::zeros({mask.numel()}, torch::kFloat);
    flat.index_fill_(0, torch::randperm(mask.numel(), generator, torch::kLong).slice(0, 0, kept), 1.0);
    out[name] = flat.view(mask.sizes());
  }
  return out;
}

double density(const Masks& masks) {
  double kept = 0, total = 0;
  for (const auto& [name, mask] : masks) {
    kept += mask.sum().item<double>();
    total += static_cast<double>(mask.numel());
  }
  return total > 0 ? kept / total : 1.0;
}

}  // namespace phenom
