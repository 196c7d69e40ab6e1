// steering/<hook>/<attribute>/vector_norm, steered (how many examples have the `from` value) and
// matched (how many of them have a `to` counterpart: the examples equal in every other class
// attribute, label aside, that agree on one answer); per alpha .../alpha=<a>/{to_acc, acc, loss}:
// the fraction answered as the counterpart, and accuracy and loss against their own targets.
// Tensors .../{vector, alphas, to_acc}.
#include "probes/steering.h"

#include <cstdio>
#include <map>

#include "core/error.h"
#include "core/text.h"
#include "models/model.h"
#include "probes/activations.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Steering : public Probe {
 public:
  explicit Steering(const SteeringOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    require_hooks(c, {o_.hook}, "steering");
    const Batch set = leading_examples(c, o_.set, o_.max_examples, "steering");
    if (!set.targets.defined() || set.targets.dim() != 1 || set.targets.scalar_type() != torch::kLong) {
      throw BadInput("steering: the behaviour shift is read from class answers; this task's targets are not class ids.");
    }
    const auto attributes = c.task.attributes(o_.set);
    const torch::Tensor values = attribute(attributes, set.size());
    const torch::Tensor from = (values == o_.from).nonzero().flatten(), to = (values == o_.to).nonzero().flatten();
    for (auto [value, rows] : {std::pair{o_.from, from}, std::pair{o_.to, to}}) {
      if (rows.numel() == 0) {
        throw BadInput("steering: no example of the set '" + o_.set + "' has " + o_.attribute + " = " +
                       std::to_string(value) + " among the first " + std::to_string(set.size()) + ".");
      }
    }
    torch::NoGradGuard no_grad;
    c.model.hooks().capture(o_.hook);
    c.model.forward(set.inputs);
    const torch::Tensor activation = c.model.hooks().cached(o_.hook).detach();
    c.model.hooks().clear();
    const auto [vector, at] = steering_vector(activation, from, to);

    const Batch steered{set.inputs.index_select(0, from), set.targets.index_select(0, from), set.weights};
    const torch::Tensor counterpart = counterparts(attributes, set.size(), from, to, set.targets);
    const torch::Tensor matched = counterpart >= 0;
    const std::string p = "steering/" + o_.hook + "/" + o_.attribute + "/";
    row.set(p + "vector_norm", vector.norm().item<double>());
    row.set(p + "steered", static_cast<double>(from.numel()));
    row.set(p + "matched", matched.sum().item<double>());
    torch::Tensor curve = torch::empty({static_cast<int64_t>(o_.alphas.size())}, torch::kDouble);
    for (size_t i = 0; i < o_.alphas.size(); ++i) {
      c.model.hooks().intervene(o_.hook, {Intervention::Kind::kAdd, (o_.alphas[i] * vector).unsqueeze(0), {}, at, {}});
      const torch::Tensor outputs = c.model.forward(steered.inputs);
      c.model.hooks().clear();
      const Score own = c.task.score(c.spec.train.loss, outputs, steered);
      const torch::Tensor hits = outputs.argmax(-1).eq(counterpart) & matched;
      const double to_acc = matched.any().item<bool>() ? hits.sum().item<double>() / matched.sum().item<double>() : 0.0;
      curve[static_cast<int64_t>(i)] = to_acc;
      char alpha[32];
      std::snprintf(alpha, sizeof alpha, "%g", o_.alphas[i]);  // alpha=0.5, alpha=2
      const std::string a = p + "alpha=" + alpha + "/";
      row.set(a + "to_acc", to_acc);
      if (own.accuracy) row.set(a + "acc", *own.accuracy);
      row.set(a + "loss", own.loss);
    }
    if (c.tensors) {
      (*c.tensors)[p + "vector"] = vector.to(torch::kFloat).contiguous();
      (*c.tensors)[p + "alphas"] = torch::tensor(o_.alphas, torch::kDouble).to(torch::kFloat);
      (*c.tensors)[p + "to_acc"] = curve.to(torch::kFloat);
    }
  }

 private:
  // The attribute's values on the first n examples (BadInput listing the task's class attributes).
  torch::Tensor attribute(const std::map<std::string, torch::Tensor>& attributes, int64_t n) const {
    auto it = attributes.find(o_.attribute);
    if (it == attributes.end() || it->second.scalar_type() != torch::kLong) {
      std::vector<std::string> names;
      for (const auto& [name, v] : attributes) if (v.scalar_type() == torch::kLong) names.push_back(name);
      throw BadInput("steering: the task has no class attribute '" + o_.attribute + "'; it has: " +
                     (names.empty() ? std::string("none") : join(names)) + ".");
    }
    return it->second.slice(0, 0, n).to(torch::kCPU);
  }

  // mean(to) - mean(from) over examples (on the CPU rows' device), and where it is added.
  std::pair<torch::Tensor, std::vector<std::pair<int64_t, int64_t>>> steering_vector(
      const torch::Tensor& activation, const torch::Tensor& from, const torch::Tensor& to) const {
    const auto device = activation.device();
    torch::Tensor v = activation.index_select(0, to.to(device)).mean(0) - activation.index_select(0, from.to(device)).mean(0);
    if (o_.position == "all") return {v, {}};
    const int64_t axis = hook_axes(o_.hook, activation.dim()).position;
    if (axis < 0) {
      throw BadInput("steering: position " + o_.position + " needs a position axis; " + o_.hook +
                     " has none. Fix: position: all.");
    }
    const int64_t T = activation.size(axis);
    const int64_t t = o_.position == "last" ? T - 1 : std::stoll(o_.position);
    if (t >= T) throw BadInput("steering: position " + o_.position + " is outside the " + std::to_string(T) + " positions of " + o_.hook + ".");
    return {v, {{axis, t}}};
  }

  // For each steered example, the answer of its `to` counterparts (-1: none, or they disagree).
  torch::Tensor counterparts(const std::map<std::string, torch::Tensor>& attributes, int64_t n,
                             const torch::Tensor& from, const torch::Tensor& to, const torch::Tensor& targets) const {
    std::vector<torch::Tensor> others;
    for (const auto& [name, v] : attributes) {
      if (name != o_.attribute && name != "label" && v.scalar_type() == torch::kLong) others.push_back(v.slice(0, 0, n).to(torch::kCPU));
    }
    const torch::Tensor answers = targets.to(torch::kCPU);
    auto key = [&](int64_t row) {
      std::vector<int64_t> k;
      for (const auto& v : others) k.push_back(v[row].item<int64_t>());
      return k;
    };
    std::map<std::vector<int64_t>, int64_t> answer_of;  // -1: the counterparts disagree
    for (int64_t j = 0; j < to.numel(); ++j) {
      const int64_t row = to[j].item<int64_t>(), answer = answers[row].item<int64_t>();
      auto [it, inserted] = answer_of.emplace(key(row), answer);
      if (!inserted && it->second != answer) it->second = -1;
    }
    torch::Tensor out = torch::full({from.numel()}, -1, torch::kLong);
    for (int64_t i = 0; i < from.numel(); ++i) {
      auto it = answer_of.find(key(from[i].item<int64_t>()));
      if (it != answer_of.end()) out[i] = it->second;
    }
    return out.to(targets.device());
  }

  SteeringOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_steering(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Steering>(dynamic_cast<const SteeringOptions&>(o));
}

}  // namespace phenom
