// Fourier analysis of modular-arithmetic models over the residues 0..p-1 (torch-free options).
#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

struct FourierOptions : ProbeOptions {
  std::string parameter = "auto";
  double key_power_fraction = 0.9;
  CountOrFull restricted_frequencies{0, "key"};
  std::string needs_task() const override { return "modular_arithmetic"; }
  void visit(Visitor& v) override {
    v.field("parameter", parameter,
            "weights analysed, rows indexed by residue: auto = layers.0.weight (MLP: rows a then p+b) or "
            "embed.W_E (transformer: rows 0..p-1); or any parameter name");
    v.field("key_power_fraction", key_power_fraction,
            "key frequencies: the fewest frequencies holding this fraction of the non-constant power",
            OpenInterval(0, 1.0000001));
    v.field("restricted_frequencies", restricted_frequencies,
            "restricted/excluded loss (add and sub): the logits' components at the key frequencies found at "
            "that step (key; left out at steps where they are more than half of all frequencies), or at "
            "this many strongest frequencies, always measured (Nanda et al. find 5 key frequencies at p = 113)",
            AtLeast(1));
  }
};

}  // namespace phenom
