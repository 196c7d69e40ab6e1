// The linear_mode_connectivity protocol's options (protocols/lmc.h runs it).
#pragma once
#include <string>
#include <vector>

#include "spec/options.h"

namespace phenom {

struct LmcOptions : OptionsBase {
  std::string rewind = "init";           // the copies start from init, or from step N of a parent run
  int64_t alphas = 11;                   // points on the path, alpha = 0 .. 1 evenly
  std::vector<double> order_seeds{1, 2};  // train.order_seed of the two copies
  void visit(Visitor& v) override {
    v.field("rewind", rewind, "where the two copies start: init (the spec's initialisation, or its init_from) or step "
                              "N of a parent run of the spec trained with its own batch order (it keeps a checkpoint "
                              "there); each copy then trains train.steps steps");
    v.field("alphas", alphas, "points on the linear path between the copies, alpha = 0, 1/(n-1), ..., 1", AtLeast(3));
    v.field("order_seeds", order_seeds, "the copies' train.order_seed (their batch orders): two different seeds",
            Length(2, NonNegative()));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override;
  int64_t rewind_step() const { return rewind == "init" ? 0 : std::stoll(rewind); }
};

// Checks a `rewind` value (init or a step number); the problem is added under `key`.
void check_rewind(const std::string& rewind, const std::string& key,
                  std::vector<std::pair<std::string, std::string>>& problems);

}  // namespace phenom
