// The imp protocol's verdict: the ticket's test accuracy against the dense run's and the
// controls' as density falls (Frankle & Carbin 2019), and whether the masks held their density.
#include <cmath>
#include <iostream>

#include "core/io.h"
#include "core/text.h"
#include "detectors/detector.h"
#include "protocols/imp.h"
#include "protocols/protocol.h"
#include "spec/spec.h"

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

// The accuracy a round is judged by: at the early-stop iteration when there is a validation set
// (as the paper), else the final one.
double accuracy(const Json& r) {
  if (r.contains("early_stop_test_acc")) return r["early_stop_test_acc"].get<double>();
  return r.value("final_test_acc", 0.0);
}

// A round's LMC instability on the test set (or the first set measured), when it has an LMC pair.
const Json* instability(const Json& r) {
  if (!r.contains("lmc")) return nullptr;
  const Json& by_set = r["lmc"]["instability"];
  if (by_set.contains("test")) return &by_set["test"];
  return by_set.empty() ? nullptr : &by_set.begin().value();
}

}  // namespace

int write_imp_summary(const Spec& spec, const std::string& dir, const std::vector<Json>& rounds,
                      const std::vector<std::pair<std::string, int64_t>>& sizes, const std::string& output,
                      bool quiet) {
  const ImpOptions& o = spec.protocol.as<ImpOptions>();
  const double dense = accuracy(rounds.front());
  Json table = Json::array();
  double matching = 1.0, worst_density_error = 0.0;
  double first_gap = NAN, last_gap = NAN;
  int64_t first_gap_round = -1, last_gap_round = -1;
  for (const auto& r : rounds) {
    const int64_t k = r["round"].get<int64_t>();
    // The density the rates give after k rounds (layer-wise: each layer keeps (1 - f)^k).
    double kept = 0, total = 0;
    for (const auto& [name, n] : sizes) {
      double f = o.prune_fraction;
      if (name == output) f = o.strategy == PruneStrategy::kLayerwise ? o.output_prune_fraction : 0.0;
      kept += static_cast<double>(n) * std::pow(1 - f, static_cast<double>(k));
      total += static_cast<double>(n);
    }
    Json row = {{"round", k}, {"density", r["density"]}, {"ticket_acc", accuracy(r)}};
    if (total > 0) {
      row["formula_density"] = kept / total;
      worst_density_error = std::max(worst_density_error, std::abs(r["density"].get<double>() - kept / total));
    }
    if (accuracy(r) >= dense - o.match_tolerance) matching = std::min(matching, r["density"].get<double>());
    if (r.contains("early_stop_step")) row["early_stop_step"] = r["early_stop_step"];
    if (r.contains("random_reinit")) {
      row["random_reinit_acc"] = accuracy(r["random_reinit"]);
      const double gap = accuracy(r) - accuracy(r["random_reinit"]);
      if (first_gap_round < 0) first_gap = gap, first_gap_round = k;
      last_gap = gap, last_gap_round = k;
    }
    if (r.contains("random_prune")) row["random_prune_acc"] = accuracy(r["random_prune"]);
    if (const Json* x = instability(r)) row["instability"] = *x;
    if (r.contains("random_prune")) {
      if (const Json* x = instability(r["random_prune"])) row["random_prune_instability"] = *x;
    }
    table.push_back(row);
  }
  Json minus = Json::object(), early = Json::object(), stability = Json::object(), random_stability = Json::object();
  for (const auto& row : table) {  // the verdict's per-round maps, from the table
    const std::string key = "round_" + std::to_string(row["round"].get<int64_t>());
    minus[key] = row["ticket_acc"].get<double>() - dense;
    if (row.contains("early_stop_step")) early[key] = row["early_stop_step"];
    if (row.contains("instability")) stability[key] = row["instability"];
    if (row.contains("random_prune_instability")) random_stability[key] = row["random_prune_instability"];
  }
  Json verdict = {{"ticket_minus_dense", minus}, {"early_stop_step", early}, {"dense_acc", dense}, {"matching_down_to", matching}, {"match_tolerance", o.match_tolerance},
                  {"final_density", rounds.back()["density"]}, {"ticket_acc_sparsest", accuracy(rounds.back())}};
  verdict["density_error_max"] = worst_density_error;
  if (!stability.empty()) verdict["instability"] = stability;  // test error, max on the path - endpoints' mean
  if (!random_stability.empty()) verdict["instability_random_prune"] = random_stability;
  for (auto it = table.rbegin(); it != table.rend(); ++it) {  // the sparsest round with both pairs
    if (it->contains("instability") && it->contains("random_prune_instability")) {
      verdict["random_prune_minus_ticket_instability"] =
          (*it)["random_prune_instability"].get<double>() - (*it)["instability"].get<double>();
      verdict["random_prune_minus_ticket_instability_round"] = (*it)["round"];
      break;
    }
  }
  if (first_gap_round >= 0) {
    verdict["reinit_gap_first"] = first_gap;
    verdict["reinit_gap_first_round"] = first_gap_round;
    verdict["reinit_gap_sparsest"] = last_gap;
    verdict["reinit_gap_sparsest_round"] = last_gap_round;
    verdict["gap_widens"] = last_gap >= first_gap;
  }
  // Detected: tickets match the dense network down to a quarter of its weights, and at the
  // sparsest control round the ticket beats its randomly re-initialised twin by >= 1 point.
  verdict["detected"] = matching <= 0.25 && (first_gap_round < 0 || last_gap >= 0.01);
  Json summary = {{"status", "completed"}, {"protocol", "imp"}, {"rounds", table}};
  summary["imp"] = verdict;
  summary["imp"]["rounds"] = Json::array();
  for (const auto& r : rounds) summary["imp"]["rounds"].push_back(r);
  const auto expectations = record_expectations(spec.expect, summary);
  const bool met = summary["expectations_met"].get<bool>();
  write_file_atomic(dir + "/summary.json", summary.dump(2) + "\n");
  write_file_atomic(dir + "/DONE", "\n");
  if (!quiet) {
    std::cout << "imp: density -> ticket test acc (dense " << format_double(dense) << ")\n";
    for (const auto& row : table) {
      std::cout << "  round " << row["round"] << "  " << format_double(row["density"].get<double>()) << "  "
                << format_double(row["ticket_acc"].get<double>())
                << (row.contains("random_reinit_acc") ? "  reinit " + format_double(row["random_reinit_acc"].get<double>()) : "")
                << (row.contains("random_prune_acc") ? "  random prune " + format_double(row["random_prune_acc"].get<double>()) : "")
                << (row.contains("instability") ? "  instability " + format_double(row["instability"].get<double>()) : "")
                << (row.contains("random_prune_instability")
                        ? " (random prune " + format_double(row["random_prune_instability"].get<double>()) + ")"
                        : "")
                << "\n";
    }
    std::cout << "matching down to density " << format_double(matching) << "; detected "
              << (verdict["detected"].get<bool>() ? "yes" : "no") << "\n";
    for (const auto& e : expectations) {
      std::cout << (e.passed ? "  ok    " : "  FAIL  ") << e.key << " " << e.expected << " (got " << e.actual.dump() << ")\n";
    }
    std::cout << "protocol directory: " << dir << "\n";
  }
  return met ? 0 : 1;
}

}  // namespace phenom
