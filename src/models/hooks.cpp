#include "models/hooks.h"

#include "core/text.h"

namespace phenom {

int HookPoints::declare(const std::string& name) {
  names_.push_back(name);
  capture_.push_back(0);
  interventions_.emplace_back();
  return static_cast<int>(names_.size()) - 1;
}

int HookPoints::id_of(const std::string& name) const {
  for (size_t i = 0; i < names_.size(); ++i) if (names_[i] == name) return static_cast<int>(i);
  std::string near = closest_match(name, names_);
  throw std::invalid_argument("no hook point '" + name + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?") +
                              " This model has: " + join(names_) + ".");
}

void HookPoints::capture(const std::string& name) {
  capture_[id_of(name)] = 1;
  active_ = true;
}

void HookPoints::capture_all() {
  std::fill(capture_.begin(), capture_.end(), 1);
  active_ = true;
}

void HookPoints::intervene(const std::string& name, Intervention intervention) {
  interventions_[id_of(name)].push_back(std::move(intervention));
  active_ = true;
}

void HookPoints::clear() {
  std::fill(capture_.begin(), capture_.end(), 0);
  for (auto& list : interventions_) list.clear();
  cache_.clear();
  active_ = false;
}

const torch::Tensor& HookPoints::cached(const std::string& name) const {
  auto it = cache_.find(name);
  if (it == cache_.end()) {
    id_of(name);  // a wrong name gets the list of names
    throw std::invalid_argument("hook point '" + name + "' was not captured; call capture(\"" + name + "\") first.");
  }
  return it->second;
}

torch::Tensor HookPoints::apply_slow(int id, torch::Tensor x) {
  for (const auto& iv : interventions_[id]) {
    // The selected slice: all of x, or some units along the last dimension.
    torch::Tensor mask;
    if (!iv.units.empty()) {
      mask = torch::zeros({x.size(-1)}, x.options().dtype(torch::kBool));
      mask.index_fill_(0, torch::tensor(iv.units, torch::kLong).to(x.device()), true);
    }
    torch::Tensor replacement;
    switch (iv.kind) {
      case Intervention::Kind::kReplace: replacement = iv.value.to(x.dtype()).expand_as(x); break;
      case Intervention::Kind::kAdd: replacement = x + iv.value.to(x.dtype()); break;
      case Intervention::Kind::kZero: replacement = torch::zeros_like(x); break;
      case Intervention::Kind::kMean: replacement = x.mean(0, /*keepdim=*/true).expand_as(x); break;
    }
    x = mask.defined() ? torch::where(mask, replacement, x) : replacement.clone();
  }
  if (capture_[id]) cache_[names_[id]] = x;
  return x;
}

}  // namespace phenom
