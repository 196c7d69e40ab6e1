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

namespace {

// An LMC pair's two order seeds must differ.
void check_order_seeds(const std::vector<double>& seeds, const std::string& key,
                       std::vector<std::pair<std::string, std::string>>& problems) {
  if (seeds.size() == 2 && seeds[0] == seeds[1]) {
    problems.push_back({key, "found two equal seeds; the copies must see different batch orders. Fix: e.g. " + key +
                                 ": [1, 2]."});
  }
}

}  // namespace

void LmcOptions::check(std::vector<std::pair<std::string, std::string>>& problems) const {
  check_rewind(rewind, "rewind", problems);
  check_order_seeds(order_seeds, "order_seeds", problems);
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
  check_order_seeds(lmc_order_seeds, "lmc_order_seeds", problems);
}

}  // namespace phenom
