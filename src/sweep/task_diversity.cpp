// For each finite M (mean over the other keys, e.g. seeds): the model's distance to dMMSE and to
// ridge at the last context position on the chosen set, which is nearer, the crossing M* (the first
// M from which ridge is nearer), and the error against the truth there; M = inf (no pool, so no
// dMMSE) is reported with its ridge distance and error. detected: the smallest M is nearer dMMSE,
// the largest finite M nearer ridge, and the sign changes at most max_sign_changes times.
#include "sweep/task_diversity.h"

#include <algorithm>
#include <cmath>

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
    const auto inf_ridge = points_along(rows, o_.x, "icl_regression.dist_at_last/ridge");
    const auto inf_error = points_along(rows, o_.x, "icl_regression.error_at_last");
    for (const Point& p : inf_ridge) {
      if (!std::isinf(p.x)) continue;
      r["inf"] = {{"dist_ridge", p.mean()}, {"n", p.ys.size()}};
      if (const Point* e = point_at(inf_error, p.x)) r["inf"]["error"] = e->mean();
    }
    int changes = 0;
    for (size_t i = 1; i < signs.size(); ++i) changes += signs[i] != signs[i - 1];
    r["sign_changes"] = changes;
    r["small_M_nearer_dmmse"] = !signs.empty() && signs.front() > 0;
    r["large_M_nearer_ridge"] = !signs.empty() && signs.back() < 0;
    r["detected"] = signs.size() >= 2 && signs.front() > 0 && signs.back() < 0 && changes <= o_.max_sign_changes;
    return r;
  }

 private:
  TaskDiversityOptions o_;
};

}  // namespace

std::unique_ptr<SweepDetector> build_task_diversity(const OptionsBase& o) {
  return std::make_unique<TaskDiversity>(dynamic_cast<const TaskDiversityOptions&>(o));
}

}  // namespace phenom
