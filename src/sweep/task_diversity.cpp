// For each finite M (mean over the other keys, e.g. seeds): the model's distance to dMMSE and to
// ridge at the last context position on the chosen set, which is nearer, the crossing M* (the first
// M from which ridge is nearer), and the error against the truth there; M = inf (no pool, so no
// dMMSE) is reported with its ridge distance, its error over ridge's, and (with the probe's
// reference_pool) whether it is nearer ridge than a small pool's dMMSE. error_spearman: the rank
// correlation of the fresh-task error with M over all runs. detected: the smallest M is nearer
// dMMSE, the largest finite M nearer ridge, the sign changes at most max_sign_changes times, the
// error falls with M (error_spearman <= max_error_spearman), and the optional limits at M = inf hold.
#include "sweep/task_diversity.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "sweep/detector.h"
#include "sweep/points.h"

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

class TaskDiversity : public SweepDetector {
 public:
  explicit TaskDiversity(const TaskDiversityOptions& o) : o_(o) {}

  void check(const std::vector<std::string>& axes) const override { require_swept("task_diversity", o_.x, axes); }

  Json detect(const std::vector<SweepRow>& rows) const override {
    // Finite pools report per set ("fresh/..."); M = inf has one set, reported without a prefix.
    const std::string prefix = "icl_regression." + o_.set + "/";
    const auto dmmse = points_along(rows, o_.x, prefix + "dist_at_last/dmmse");
    const auto ridge = points_along(rows, o_.x, prefix + "dist_at_last/ridge");
    const auto error = points_along(rows, o_.x, prefix + "error_at_last");
    Json r, out = Json::array();
    r["x"] = o_.x;
    r["set"] = o_.set;
    std::vector<int> signs;  // +1: dMMSE nearer, -1: ridge nearer, along M (ties left out)
    for (const Point& d : dmmse) {
      const Point* q = point_at(ridge, d.x);
      const Point* e = point_at(error, d.x);
      if (!q) continue;
      const bool tie = std::abs(d.mean() - q->mean()) <= o_.tie_fraction * std::max(d.mean(), q->mean());
      const int sign = tie ? 0 : d.mean() < q->mean() ? 1 : -1;
      if (sign != 0) signs.push_back(sign);
      out.push_back({{"M", d.x}, {"dist_dmmse", d.mean()}, {"dist_ridge", q->mean()},
                     {"nearer", sign > 0 ? "dmmse" : sign < 0 ? "ridge" : "tie"},
                     {"error", e ? Json(e->mean()) : Json()}, {"n", d.ys.size()}});
      if (sign < 0 && !r.contains("transition_M")) r["transition_M"] = d.x;
    }
    r["points"] = out;
    std::vector<double> ms, errors;  // every run's fresh-task error at k = K, with its M
    for (const Point& p : error) {
      for (double y : p.ys) ms.push_back(p.x), errors.push_back(y);
    }
    const auto inf_error = inf_point(rows, "error_at_last");
    const bool inf_ok = !inf_error || report_inf(rows, *inf_error, r);
    if (inf_error) {
      for (double y : inf_error->ys) ms.push_back(inf_error->x), errors.push_back(y);
    }
    const double rho = spearman(ms, errors);
    r["error_spearman"] = rho;
    const bool falls = o_.max_error_spearman >= 1 || (ms.size() >= 3 && rho <= o_.max_error_spearman);
    r["error_falls_with_M"] = falls;
    int changes = 0;
    for (size_t i = 1; i < signs.size(); ++i) changes += signs[i] != signs[i - 1];
    r["sign_changes"] = changes;
    r["small_M_nearer_dmmse"] = !signs.empty() && signs.front() > 0;
    r["large_M_nearer_ridge"] = !signs.empty() && signs.back() < 0;
    r["detected"] = signs.size() >= 2 && signs.front() > 0 && signs.back() < 0 && changes <= o_.max_sign_changes &&
                    falls && inf_ok;
    return r;
  }

 private:
  // M = inf (one set, keys without a prefix): distances, error over ridge's, and the reference
  // pool's dMMSE when the probe has one, into r["inf"]; false when a required limit fails.
  bool report_inf(const std::vector<SweepRow>& rows, const Point& error, Json& r) const {
    Json inf = {{"error", error.mean()}, {"n", error.ys.size()}};
    bool ok = true;
    const auto ridge = inf_point(rows, "dist_at_last/ridge"), ridge_error = inf_point(rows, "baseline_error_at_last/ridge");
    const auto reference = inf_point(rows, "dist_at_last/dmmse_ref");
    if (ridge) inf["dist_ridge"] = ridge->mean();
    if (ridge_error) {
      std::vector<double> ratios;  // per run, in table order
      for (size_t i = 0; i < ridge_error->ys.size() && i < error.ys.size(); ++i) {
        ratios.push_back(error.ys[i] / ridge_error->ys[i]);
      }
      inf["error_over_ridge"] = ratios;
      const double worst = ratios.empty() ? 0 : *std::max_element(ratios.begin(), ratios.end());
      if (o_.max_error_over_ridge > 0) ok &= !ratios.empty() && worst <= o_.max_error_over_ridge;
    }
    if (reference && ridge) {
      size_t nearer = 0;
      for (size_t i = 0; i < reference->ys.size() && i < ridge->ys.size(); ++i) nearer += ridge->ys[i] < reference->ys[i];
      inf["dist_dmmse_ref"] = reference->mean();
      inf["nearer_ridge_than_dmmse_ref"] = std::to_string(nearer) + "/" + std::to_string(reference->ys.size());
      ok &= nearer == reference->ys.size();
    }
    r["inf"] = inf;
    return ok;
  }

  std::optional<Point> inf_point(const std::vector<SweepRow>& rows, const std::string& key) const {
    for (Point& p : points_along(rows, o_.x, "icl_regression." + key)) {
      if (std::isinf(p.x)) return std::move(p);
    }
    return std::nullopt;
  }

  TaskDiversityOptions o_;
};

}  // namespace

std::unique_ptr<SweepDetector> build_task_diversity(const OptionsBase& o) {
  return std::make_unique<TaskDiversity>(dynamic_cast<const TaskDiversityOptions&>(o));
}

}  // namespace phenom
