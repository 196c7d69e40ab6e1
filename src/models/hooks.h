// Named hook points (TransformerLens names). Models call hook(id, x) at each point; with nothing
// registered that is one branch on a bool. Instruments capture activations or intervene on them
// only through here.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace phenom {

struct Intervention {
  enum class Kind { kReplace, kAdd, kZero, kMean } kind = Kind::kZero;
  torch::Tensor value;          // replace: the new activation (e.g. patched from a cache); add: the offset
  std::vector<int64_t> units;   // indices along the last dimension (neurons, d_model); empty: all
};

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
