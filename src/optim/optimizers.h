// Optimizer options (torch-free; the spec layer reads them).
#pragma once
#include <vector>

#include "spec/options.h"

namespace phenom {

struct SgdOptions : OptimizerOptions {
  double momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  void visit(Visitor& v) override {
    v.field("lr", lr, "learning rate (multiplied by the schedule)", Positive());
    v.field("momentum", momentum, "heavy-ball momentum", HalfOpen(0, 1));
    v.field("nesterov", nesterov, "Nesterov momentum (needs momentum > 0)");
    v.field("weight_decay", weight_decay, "L2 penalty added to the gradient: g += wd * p", NonNegative());
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (nesterov && momentum == 0) problems.push_back({"nesterov", "nesterov needs momentum > 0; set optimizer.momentum, e.g. 0.9."});
  }
  StepRuleFacts facts() const override { return {true, momentum, false, 0.0}; }
};

struct AdamOptions : OptimizerOptions {
  AdamOptions() { lr = 1e-3; }
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled = false;  // set by the adamw entry, not a user key
  void visit(Visitor& v) override {
    v.field("lr", lr, "learning rate (multiplied by the schedule)", Positive());
    v.field("betas", betas, "moment decay rates [beta1, beta2]", Length(2, HalfOpen(0, 1)));
    v.field("eps", eps, "added to sqrt(v_hat)", Positive());
    v.field("weight_decay", weight_decay,
            decoupled ? "decoupled decay: p -= lr * wd * p before the Adam step"
                      : "L2 penalty added to the gradient (not decoupled; use adamw for that)",
            NonNegative());
  }
  StepRuleFacts facts() const override { return {false, 0.0, true, betas[0]}; }
};

struct AdamWOptions : AdamOptions {
  AdamWOptions() { decoupled = true; }
};

// The optimizer under SAM's ascent step.
enum class SamBase { kSgd, kAdam, kAdamW };
template <>
struct Words<SamBase> {
  static constexpr std::array names{"sgd", "adam", "adamw"};
};

// Sharpness-aware minimisation (Foret et al. 2021): each step takes its gradient at w + e,
// e = rho * g / ||g|| (adaptive, ASAM: rho * |w|^2 g / || |w| g ||), then the base optimizer
// updates w with it. m > 0: m-sharpness, each sub-batch of m examples has its own e.
struct SamOptions : OptimizerOptions {
  SamBase base = SamBase::kSgd;
  double rho = 0.05;
  bool adaptive = false;
  int64_t m = 0;
  double momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
  void visit(Visitor& v) override {
    v.field("base", base, "the optimizer that takes the step: sgd, adam or adamw");
    v.field("rho", rho, "radius of the ascent step (0.05 in the paper; ASAM needs larger, e.g. 2)", Positive());
    v.field("adaptive", adaptive, "ASAM: scale the ascent by |w| elementwise (scale-invariant)");
    v.field("m", m, "m-sharpness: examples per sub-batch with its own ascent (0: the whole batch)", NonNegative());
    v.field("lr", lr, "learning rate of the base optimizer (multiplied by the schedule)", Positive());
    v.field("momentum", momentum, "base sgd: heavy-ball momentum", HalfOpen(0, 1));
    v.field("nesterov", nesterov, "base sgd: Nesterov momentum");
    v.field("weight_decay", weight_decay, "the base optimizer's weight decay (as in sgd, adam, adamw)", NonNegative());
    v.field("betas", betas, "base adam/adamw: moment decay rates", Length(2, HalfOpen(0, 1)));
    v.field("eps", eps, "base adam/adamw: added to sqrt(v_hat)", Positive());
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    const bool sgd = base == SamBase::kSgd;
    if (!sgd && momentum != 0) problems.push_back({"momentum", "momentum applies to base sgd; remove it or set base: sgd."});
    if (!sgd && nesterov) problems.push_back({"nesterov", "nesterov applies to base sgd; remove it or set base: sgd."});
    if (sgd && nesterov && momentum == 0) problems.push_back({"nesterov", "nesterov needs momentum > 0; set optimizer.momentum, e.g. 0.9."});
    if (sgd && (betas != std::vector<double>{0.9, 0.999} || eps != 1e-8))
      problems.push_back({betas != std::vector<double>{0.9, 0.999} ? "betas" : "eps",
                          "betas and eps apply to base adam or adamw; remove them or set base: adam."});
  }
  // SAM on base adam/adamw steps with Adam, whose preconditioner it has; its threshold, like SAM on
  // sgd's, is not plain gradient descent's (no 2/lr for sam).
  StepRuleFacts facts() const override {
    return base == SamBase::kSgd ? StepRuleFacts{} : StepRuleFacts{false, 0.0, true, betas[0]};
  }
};

}  // namespace phenom
