#include "train/callbacks.h"

#include "core/error.h"
#include "core/text.h"
#include "models/model.h"
#include "spec/spec.h"

namespace phenom {
namespace {

class GradClip : public StepCallback {
 public:
  explicit GradClip(double max_norm) : max_norm_(max_norm) {}
  std::string name() const override { return "grad_clip"; }
  void after_backward(StepState& s) override { torch::nn::utils::clip_grad_norm_(s.parameters, max_norm_); }

 private:
  double max_norm_;
};

// Omnigrok's fixed-norm training: every parameter rescaled by one factor so that the total L2
// norm equals `norm`.
class NormConstraint : public StepCallback {
 public:
  explicit NormConstraint(double norm) : norm_(norm) {}
  std::string name() const override { return "weight_norm_constraint"; }
  void after_update(StepState& s) override {
    torch::NoGradGuard no_grad;
    torch::Tensor squared = torch::zeros({}, s.parameters.front().options());
    for (const auto& p : s.parameters) squared += p.pow(2).sum();
    const torch::Tensor factor = norm_ / squared.sqrt();
    for (auto& p : s.parameters) p.mul_(factor);
  }

 private:
  double norm_;
};

class WeightMask : public StepCallback {
 public:
  WeightMask(Model& model, std::map<std::string, torch::Tensor> masks) : masks_(std::move(masks)) {
    bind(model);
  }
  std::string name() const override { return "weight_mask"; }
  void after_backward(StepState&) override {
    for (auto& [param, mask] : bound_) if (param.grad().defined()) param.grad().mul_(mask);
  }
  void after_update(StepState&) override {
    torch::NoGradGuard no_grad;
    for (auto& [param, mask] : bound_) param.mul_(mask);
  }
  void at_measure(int64_t, MetricRow& row) override {
    double kept = 0, total = 0;
    for (const auto& [name, mask] : masks_) {
      kept += mask.sum().item<double>();
      total += static_cast<double>(mask.numel());
    }
    row.set("mask/density", total > 0 ? kept / total : 1.0);
  }
  std::map<std::string, torch::Tensor> state() const override {
    std::map<std::string, torch::Tensor> out;
    for (const auto& [name, mask] : masks_) out[name] = mask.cpu();
    return out;
  }
  std::vector<std::string> state_keys() const override {
    std::vector<std::string> keys;
    for (const auto& [name, mask] : masks_) keys.push_back(name);
    return keys;
  }
  void load_state(const std::map<std::string, torch::Tensor>& saved) override {
    for (auto& [name, mask] : masks_) mask.copy_(saved.at(name));
  }

 private:
  void bind(Model& model) {
    auto named = model.named_parameters();
    for (auto& [name, mask] : masks_) {
      const torch::Tensor* param = named.find(name);
      if (!param) {
        std::vector<std::string> names;
        for (const auto& item : named) names.push_back(item.key());
        throw BadInput("a weight mask names '" + name + "', which the model does not have. Its parameters: " +
                       join(names) + ".");
      }
      if (param->sizes() != mask.sizes()) {
        throw BadInput("the weight mask of '" + name + "' has shape " + c10::str(mask.sizes()) +
                       " but the parameter has shape " + c10::str(param->sizes()) + ".");
      }
      mask = mask.to(param->options()).ne(0).to(param->dtype());
      bound_.emplace_back(*param, mask);
      torch::NoGradGuard no_grad;
      bound_.back().first.mul_(mask);  // pruned from the first step
    }
  }

  std::map<std::string, torch::Tensor> masks_;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> bound_;  // parameter, its mask
};

}  // namespace

StepCallbacks callbacks_from_spec(const Spec& spec) {
  StepCallbacks out;
  if (spec.train.grad_clip > 0) out.push_back(std::make_unique<GradClip>(spec.train.grad_clip));
  if (spec.train.weight_norm_constraint > 0) {
    out.push_back(std::make_unique<NormConstraint>(spec.train.weight_norm_constraint));
  }
  return out;
}

std::unique_ptr<StepCallback> make_weight_mask(Model& model, std::map<std::string, torch::Tensor> masks) {
  return std::make_unique<WeightMask>(model, std::move(masks));
}

}  // namespace phenom
