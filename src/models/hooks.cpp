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

Intervention project_out(const torch::Tensor& directions) {
  if (directions.dim() != 2) throw std::invalid_argument("project_out: directions must be [K, D]");
  // Q: an orthonormal basis of the rows' span, from the SVD in float64 (dependent rows add nothing).
  auto [u, s, vh] = torch::linalg::svd(directions.to(torch::kDouble).t(), /*full_matrices=*/false, c10::nullopt);
  const double largest = s.numel() > 0 ? s.max().item<double>() : 0.0;
  const int64_t rank = largest > 0 ? s.gt(largest * 1e-10).sum().item<int64_t>() : 0;
  const torch::Tensor q = u.slice(1, 0, rank);
  Intervention iv;
  iv.kind = Intervention::Kind::kFunction;
  iv.function = [q](const torch::Tensor& x) {
    const torch::Tensor basis = q.to(x.options());
    return x - torch::matmul(torch::matmul(x, basis), basis.t());
  };
  return iv;
}

namespace {

// Where an intervention applies: a boolean mask broadcastable to x (undefined: everywhere).
torch::Tensor slice_mask(const Intervention& iv, const torch::Tensor& x) {
  if (iv.units.empty() && iv.at.empty()) return {};
  std::vector<int64_t> shape(x.dim(), 1);
  torch::Tensor mask = torch::ones(shape, x.options().dtype(torch::kBool));
  auto select = [&](int64_t axis, const std::vector<int64_t>& indices) {
    if (axis < 1 || axis >= x.dim()) {
      throw std::invalid_argument("intervention axis " + std::to_string(axis) + " is outside the activation's " +
                                  std::to_string(x.dim()) + " axes (axis 0 is the batch)");
    }
    std::vector<int64_t> axis_shape(x.dim(), 1);
    axis_shape[axis] = x.size(axis);
    torch::Tensor on = torch::zeros({x.size(axis)}, mask.options());
    on.index_fill_(0, torch::tensor(indices, torch::kLong).to(x.device()), true);
    mask = mask & on.view(axis_shape);
  };
  for (const auto& [axis, index] : iv.at) select(axis, {index});
  if (!iv.units.empty()) select(x.dim() - 1, iv.units);
  return mask;
}

}  // namespace

torch::Tensor HookPoints::apply_slow(int id, torch::Tensor x) {
  for (const auto& iv : interventions_[id]) {
    torch::Tensor replacement;
    switch (iv.kind) {
      case Intervention::Kind::kReplace: replacement = iv.value.to(x.dtype()).expand_as(x); break;
      case Intervention::Kind::kAdd: replacement = x + iv.value.to(x.dtype()); break;
      case Intervention::Kind::kZero: replacement = torch::zeros_like(x); break;
      case Intervention::Kind::kMean: replacement = x.mean(0, /*keepdim=*/true).expand_as(x); break;
      case Intervention::Kind::kFunction: replacement = iv.function(x); break;
    }
    const torch::Tensor mask = slice_mask(iv, x);
    x = mask.defined() ? torch::where(mask, replacement, x) : replacement.clone();
  }
  if (capture_[id]) cache_[names_[id]] = x;
  return x;
}

}  // namespace phenom
