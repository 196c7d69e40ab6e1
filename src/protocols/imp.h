// Iterative magnitude pruning (Frankle & Carbin 2019; rewinding: Frankle et al. 2020): rounds of
// train -> prune -> rewind -> retrain, each round an ordinary run in the protocol's directory.
#pragma once
#include <string>
#include <vector>

#include "spec/options.h"
#include "protocols/lmc_options.h"

namespace phenom {

// How each round's pruning threshold is set: per layer, or one over every prunable layer.
enum class PruneStrategy { kLayerwise, kGlobal };
template <>
struct Words<PruneStrategy> {
  static constexpr std::array names{"layerwise", "global"};
};

struct ImpOptions : OptionsBase {
  int64_t rounds = 15;
  PruneStrategy strategy = PruneStrategy::kLayerwise;
  double prune_fraction = 0.2;         // of the remaining weights of each prunable layer per round
  double output_prune_fraction = 0.1;  // layerwise: the output layer's (the last prunable weight)
  std::string rewind = "init";         // init, or a step of the dense run (it must have a checkpoint there)
  std::vector<double> random_reinit;   // rounds with the random re-initialisation control
  std::vector<double> random_prune;    // rounds with the random-pruning control
  double match_tolerance = 0.01;       // "matching": test accuracy within this of the dense run's
  std::vector<std::string> prunable;   // parameter names; empty: every weight matrix
  std::vector<double> lmc_rounds;      // rounds whose ticket (and random-prune control) get an LMC pair
  int64_t lmc_alphas = 11;
  std::vector<double> lmc_order_seeds{1, 2};
  void visit(Visitor& v) override {
    v.field("rounds", rounds, "pruning rounds after the dense run (round 0)", AtLeast(1));
    v.field("strategy", strategy,
            "layerwise: each prunable weight matrix loses prune_fraction of its remaining weights (the output layer "
            "output_prune_fraction), as Frankle & Carbin; global: one magnitude threshold over every prunable matrix "
            "but the output layer, which is not pruned (as open_lth). Biases are never pruned");
    v.field("prune_fraction", prune_fraction, "fraction of the remaining weights removed per round", HalfOpen(0, 1));
    v.field("output_prune_fraction", output_prune_fraction, "layerwise: the output layer's fraction per round",
            HalfOpen(0, 1));
    v.field("rewind", rewind, "where the surviving weights restart: init (the dense run's initialisation) or step N "
                              "of the dense run (late rewinding; the dense run keeps a checkpoint there)");
    v.field("random_reinit", random_reinit, "rounds that also train the control with the ticket's mask and a fresh "
                                            "initialisation, e.g. [3, 7, 12, 15]");
    v.field("random_prune", random_prune, "rounds that also train the control with a random mask of the ticket's "
                                          "per-layer density, from the same rewind point");
    v.field("match_tolerance", match_tolerance, "a ticket matches when its test accuracy is at least dense - this",
            Between(0, 1));
    v.field("prunable", prunable, "the parameters pruned, by name (a name the model lacks is an error listing its parameters; e.g. "
                                  "[layers.0.weight, layers.1.weight]); the model's last weight matrix is the output "
                                  "layer; empty: every weight matrix");
    v.field("lmc_rounds", lmc_rounds, "rounds (0: the dense network) whose ticket, and random-prune control where the "
                                      "round has one, are trained twice more from the rewind point with the batch "
                                      "orders lmc_order_seeds, measuring linear mode connectivity (Frankle et al. 2020)");
    v.field("lmc_alphas", lmc_alphas, "points on each LMC path, alpha = 0 .. 1", AtLeast(3));
    v.field("lmc_order_seeds", lmc_order_seeds, "the two LMC copies' train.order_seed", Length(2, NonNegative()));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override;
  int64_t rewind_step() const { return rewind == "init" ? 0 : std::stoll(rewind); }
};

}  // namespace phenom
