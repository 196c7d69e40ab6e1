// Optimizer options (torch-free; the spec layer reads them).
#pragma once
#include <vector>

#include "spec/options.h"

namespace phenom {

struct SgdOptions : OptionsBase {
  double lr = 0.1;
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
};

struct AdamOptions : OptionsBase {
  double lr = 1e-3;
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
};

struct AdamWOptions : AdamOptions {
  AdamWOptions() { decoupled = true; }
};

}  // namespace phenom
