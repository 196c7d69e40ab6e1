// Named hook points (TransformerLens names). Models call hook(id, x) at each point; with nothing
// registered that is one branch on a bool. Instruments capture activations or intervene on them
// only through here.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace phenom {

// What replaces an activation x, on all of it or on a slice: the units of its last dimension
// and/or single indices of other axes (a position of [B, T, D], a head of hook_z [B, T, H, d_head]).
// Outside the slice x is kept.
struct Intervention {
  enum class Kind { kReplace, kAdd, kZero, kMean, kFunction } kind = Kind::kZero;
  torch::Tensor value;          // replace: the new activation (e.g. patched from a cache); add: the offset
  std::vector<int64_t> units;   // indices along the last dimension (neurons, d_model); empty: all
  std::vector<std::pair<int64_t, int64_t>> at;  // (axis, index) pairs, axis >= 1; empty: every index
  // function: the new activation computed from the old (an SAE splice, a projection out of a subspace)
  std::function<torch::Tensor(const torch::Tensor&)> function;
};

// The function intervention that removes the span of `directions` ([K, D], any basis) from the
// last dimension: x - x Q Q^T with Q an orthonormal basis of their span.
Intervention project_out(const torch::Tensor& directions);

class HookPoints {
 public:
  // Declared once at model construction; the id is what forward() passes.
  int declare(const std::string& name);
  const std::vector<std::string>& names() const { return names_; }
  bool active() const { return active_; }  // any capture or intervention registered

  torch::Tensor apply(int id, torch::Tensor x) {
    if (!active_) return x;
    return apply_slow(id, std::move(x));
  }

  void capture(const std::string& name);          // record this point's activation on each forward
  void capture_all();
  void intervene(const std::string& name, Intervention intervention);
  void clear();                                   // remove captures, interventions and the cache
  const std::map<std::string, torch::Tensor>& cache() const { return cache_; }
  const torch::Tensor& cached(const std::string& name) const;

 private:
  torch::Tensor apply_slow(int id, torch::Tensor x);
  int id_of(const std::string& name) const;  // throws std::invalid_argument listing the names

  std::vector<std::string> names_;
  std::vector<char> capture_;
  std::vector<std::vector<Intervention>> interventions_;
  std::map<std::string, torch::Tensor> cache_;
  bool active_ = false;
};

}  // namespace phenom
