// The protocols' cross-field rules (with their options in the spec library).
#include "core/text.h"
#include "protocols/imp.h"
#include "protocols/lmc_options.h"

namespace phenom {

void check_rewind(const std::string& rewind, const std::string& key,
                  std::vector<std::pair<std::string, std::string>>& problems) {
  if (rewind != "init" && (rewind.empty() || rewind.find_first_not_of("0123456789") != std::string::npos)) {
    problems.push_back({key, "found '" + rewind + "'; allowed: init, or a step number. Fix: e.g. " + key + ": init."});
  }
}

void LmcOptions::check(std::vector<std::pair<std::string, std::string>>& problems) const {
  check_rewind(rewind, "rewind", problems);
  if (order_seeds.size() == 2 && order_seeds[0] == order_seeds[1]) {
    problems.push_back({"order_seeds", "found two equal seeds; the copies must see different batch orders. Fix: e.g. "
                                       "order_seeds: [1, 2]."});
  }
}

void ImpOptions::check(std::vector<std::pair<std::string, std::string>>& problems) const {
  check_rewind(rewind, "rewind", problems);
  const std::vector<std::pair<const char*, const std::vector<double>*>> lists = {
      {"random_reinit", &random_reinit}, {"random_prune", &random_prune}, {"lmc_rounds", &lmc_rounds}};
  for (const auto& [key, list] : lists) {
    const double first = list == &lmc_rounds ? 0 : 1;  // LMC also on the dense network
    for (double r : *list) {
      if (r < first || r > static_cast<double>(rounds) || r != static_cast<double>(static_cast<int64_t>(r))) {
        problems.push_back({key, "found round " + format_double(r) + "; allowed: integers from " +
                                     format_double(first) + " to rounds (" + std::to_string(rounds) + ")."});
        break;
      }
    }
  }
  if (lmc_order_seeds.size() == 2 && lmc_order_seeds[0] == lmc_order_seeds[1]) {
    problems.push_back({"lmc_order_seeds", "found two equal seeds; the copies must see different batch orders. Fix: "
                                           "e.g. lmc_order_seeds: [1, 2]."});
  }
}

}  // namespace phenom
