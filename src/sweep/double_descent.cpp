// double_descent: an interior peak of a test metric along capacity or sample size, its height
// against the values a factor 4 to either side, and whether it sits at the interpolation threshold.
#include "sweep/double_descent.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/error.h"
#include "sweep/detector.h"
#include "sweep/points.h"

namespace phenom {

void DoubleDescentOptions::check(std::vector<std::pair<std::string, std::string>>& problems) const {
  if (x.empty()) problems.push_back({"x", "set x to the swept key the curve is over, e.g. x: model.width."});
  if (!threshold.empty()) {
    try {
      evaluate_expression(threshold, [](const std::string&) { return 1.0; });
    } catch (const std::invalid_argument& e) {
      problems.push_back({"threshold", std::string("not a valid expression: ") + e.what() +
                                           ". Allowed: numbers, run-summary keys, + - * / and parentheses."});
    }
  }
}

namespace {

using Json = nlohmann::ordered_json;

class DoubleDescent : public SweepDetector {
 public:
  explicit DoubleDescent(const DoubleDescentOptions& o) : o_(o) {}
  void check(const std::vector<std::string>& axes) const override { require_swept("double_descent", o_.x, axes); }

  Json detect(const std::vector<SweepRow>& rows) const override {
    std::vector<Point> points = points_along(rows, o_.x, o_.y);
    auto stat = [&](const Point& p) { return o_.statistic == SeedStatistic::kMedian ? p.median() : p.mean(); };
    Json r;
    r["x"] = o_.x;
    r["y"] = o_.y;
    r["statistic"] = word(o_.statistic);
    const std::vector<Point> reference = o_.reference.empty() ? std::vector<Point>{}
                                                               : points_along(rows, o_.x, o_.reference);
    Json out = Json::array();
    for (const auto& p : points) {
      Json point = {{"x", p.x}, {"value", stat(p)}, {"min", p.min()}, {"max", p.max()}, {"n", p.ys.size()}};
      if (const Point* q = point_at(reference, p.x)) {
        point["reference"] = q->mean();
        point["ratio"] = q->mean() != 0 ? stat(p) / q->mean() : 0.0;
      }
      out.push_back(point);
    }
    r["points"] = out;
    Json threshold = this->threshold(rows);
    r["threshold"] = threshold;
    r["detected"] = false;
    if (points.size() < 3) {
      r["reason"] = "fewer than 3 values of x";
      return r;
    }
    // The interior maximum (a peak at a grid end is a monotone curve, not double descent).
    size_t peak = 1;
    for (size_t i = 1; i + 1 < points.size(); ++i) if (stat(points[i]) > stat(points[peak])) peak = i;
    const double px = points[peak].x, pv = stat(points[peak]);
    size_t left = 0, right = points.size() - 1;
    for (size_t i = 0; i < peak; ++i) if (points[i].x <= px / 4) left = i;
    for (size_t i = points.size() - 1; i > peak; --i) if (points[i].x >= px * 4) right = i;
    const double lv = stat(points[left]), rv = stat(points[right]);
    r["peak"] = {{"x", px}, {"value", pv}};
    r["left"] = {{"x", points[left].x}, {"value", lv}};
    r["right"] = {{"x", points[right].x}, {"value", rv}};
    r["ratio_left"] = lv > 0 ? pv / lv : 0.0;
    r["ratio_right"] = rv > 0 ? pv / rv : 0.0;
    const bool high = pv >= o_.min_ratio * lv && pv >= o_.min_ratio * rv;
    bool at_threshold = true;
    if (threshold.is_number()) {
      const double t = threshold.get<double>();
      at_threshold = px >= t / o_.tolerance && px <= t * o_.tolerance;
      r["peak_at_threshold"] = at_threshold;
    }
    r["detected"] = high && at_threshold;
    return r;
  }

 private:
  // The threshold evaluated on every run's summary; their median (they agree unless it depends on x).
  Json threshold(const std::vector<SweepRow>& rows) const {
    if (o_.threshold.empty()) return nullptr;
    std::vector<double> values;
    for (const auto& row : rows) {
      try {
        values.push_back(evaluate_expression(o_.threshold, [&](const std::string& key) {
          const Json* v = summary_value(row.summary, key);
          if (!v || !v->is_number()) throw std::invalid_argument("'" + key + "' is not a number in the run's summary");
          return v->get<double>();
        }));
      } catch (const std::invalid_argument& e) {
        throw BadInput("sweep_detectors double_descent: threshold '" + o_.threshold + "': " + e.what() +
                       ". Fix: use keys that summary.json has, e.g. data.n_train.");
      }
    }
    if (values.empty()) return nullptr;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  }

  DoubleDescentOptions o_;
};

}  // namespace

std::unique_ptr<SweepDetector> build_double_descent(const OptionsBase& o) {
  return std::make_unique<DoubleDescent>(dynamic_cast<const DoubleDescentOptions&>(o));
}

}  // namespace phenom
