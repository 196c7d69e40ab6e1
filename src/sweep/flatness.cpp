// flatness: for each seed, the small-batch, large-batch and SAM runs side by side; how often the
// large batch is sharper by large_factor, SAM flatter than small batch, and SAM as accurate; the
// rank correlation of each flatness measure with the generalisation gap over every run.
#include "sweep/flatness.h"

#include <cmath>

#include "core/error.h"
#include "detectors/detector.h"
#include "sweep/detector.h"
#include "sweep/points.h"

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

class Flatness : public SweepDetector {
 public:
  explicit Flatness(const FlatnessSweepOptions& o) : o_(o) {}

  void check(const std::vector<std::string>& axes) const override {
    for (const auto* arm : {&o_.small, &o_.large, &o_.sam}) {
      for (const auto& item : *arm) require_swept("flatness", item.substr(0, item.find('=')), axes);
    }
  }

  Json detect(const std::vector<SweepRow>& rows) const override {
    std::map<std::string, std::map<std::string, const SweepRow*>> by_seed;  // seed -> arm -> run
    for (const auto& row : rows) {
      const auto seed = row.swept.find("seed");
      const std::string s = seed == row.swept.end() ? "" : seed->second;
      for (const auto& [name, arm] : arms()) {
        if (selects(*arm, row)) by_seed[s][name] = &row;
      }
    }
    Json r, seeds = Json::array();
    int64_t n = 0, sharper = 0, flatter = 0, kept = 0;
    double acc_difference = 0;
    for (const auto& [seed, runs] : by_seed) {
      if (runs.size() < 3) continue;
      Json entry{{"seed", seed}};
      for (const auto& [name, row] : runs) {
        entry[name] = {{"sharpness", value(*row, o_.sharpness)}, {"test_acc", value(*row, o_.test_acc)},
                       {"gap", value(*row, o_.train_acc) - value(*row, o_.test_acc)}};
      }
      const double small = entry["small"]["sharpness"], large = entry["large"]["sharpness"], sam = entry["sam"]["sharpness"];
      const bool a = large > o_.large_factor * small, b = sam < small;
      const bool c = entry["sam"]["test_acc"].get<double>() >= entry["small"]["test_acc"].get<double>() - o_.accuracy_margin;
      entry["large_sharper"] = a;
      entry["sam_flatter"] = b;
      entry["sam_accuracy_kept"] = c;
      sharper += a, flatter += b, kept += c, ++n;
      acc_difference += entry["large"]["test_acc"].get<double>() - entry["small"]["test_acc"].get<double>();
      seeds.push_back(entry);
    }
    r["arms"] = {{"small", o_.small}, {"large", o_.large}, {"sam", o_.sam}};
    r["sharpness"] = o_.sharpness;
    r["seeds"] = seeds;
    r["n_seeds"] = n;
    r["large_sharper"] = sharper;
    r["sam_flatter"] = flatter;
    r["sam_accuracy_kept"] = kept;
    r["large_minus_small_test_acc"] = n ? acc_difference / static_cast<double>(n) : 0.0;
    Json correlation;
    for (const auto& measure : o_.measures) {
      std::vector<double> xs, gaps;
      for (const auto& row : rows) {
        const Json* m = summary_value(row.summary, measure);
        const Json *train = summary_value(row.summary, o_.train_acc), *test = summary_value(row.summary, o_.test_acc);
        if (!m || !train || !test || !m->is_number() || !train->is_number() || !test->is_number()) continue;
        xs.push_back(m->get<double>());
        gaps.push_back(train->get<double>() - test->get<double>());
      }
      if (xs.size() >= 3) correlation[measure] = spearman(xs, gaps);
    }
    r["gap_rank_correlation"] = correlation;
    const double needed = std::ceil(o_.fraction * static_cast<double>(n) - 1e-9);
    r["detected"] = n > 0 && sharper >= needed && flatter >= needed && kept >= needed;
    return r;
  }

 private:
  std::vector<std::pair<std::string, const std::vector<std::string>*>> arms() const {
    return {{"small", &o_.small}, {"large", &o_.large}, {"sam", &o_.sam}};
  }
  static bool selects(const std::vector<std::string>& arm, const SweepRow& row) {
    for (const auto& item : arm) {
      const size_t eq = item.find('=');
      const auto it = row.swept.find(item.substr(0, eq));
      if (it == row.swept.end() || it->second != item.substr(eq + 1)) return false;
    }
    return true;
  }
  static double value(const SweepRow& row, const std::string& key) {
    const Json* v = summary_value(row.summary, key);
    return v && v->is_number() ? v->get<double>() : std::nan("");
  }

  FlatnessSweepOptions o_;
};

}  // namespace

std::unique_ptr<SweepDetector> build_flatness_sweep(const OptionsBase& o) {
  return std::make_unique<Flatness>(dynamic_cast<const FlatnessSweepOptions&>(o));
}

}  // namespace phenom
