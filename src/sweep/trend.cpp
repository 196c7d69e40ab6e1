// trend: how a run summary value moves along one swept key (mean, min and max over the other keys,
// e.g. seeds; monotonicity; Spearman rank correlation).
#include "sweep/trend.h"

#include <algorithm>
#include <cmath>

#include "sweep/detector.h"
#include "sweep/points.h"

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

class Trend : public SweepDetector {
 public:
  explicit Trend(const TrendOptions& o) : o_(o) {}

  void check(const std::vector<std::string>& axes) const override { require_swept("trend", o_.x, axes); }

  Json detect(const std::vector<SweepRow>& rows) const override {
    std::vector<Point> points = points_along(rows, o_.x, o_.y);
    std::vector<double> xs, ys, means;
    Json r;
    r["x"] = o_.x;
    r["y"] = o_.y;
    Json out = Json::array();
    for (const auto& p : points) {
      for (double y : p.ys) xs.push_back(p.x), ys.push_back(y);
      means.push_back(p.mean());
      out.push_back({{"x", p.x}, {"mean", p.mean()}, {"min", p.min()}, {"max", p.max()}, {"n", p.ys.size()}});
    }
    r["points"] = out;
    bool increasing = means.size() >= 2, decreasing = means.size() >= 2;
    for (size_t i = 1; i < means.size(); ++i) {
      increasing &= means[i] >= means[i - 1];
      decreasing &= means[i] <= means[i - 1];
    }
    r["monotone_increasing"] = increasing;
    r["monotone_decreasing"] = decreasing;
    r["spearman"] = xs.size() >= 2 ? spearman(xs, ys) : 0.0;
    bool detected = o_.expect == TrendDirection::kIncreasing   ? increasing
                    : o_.expect == TrendDirection::kDecreasing ? decreasing
                                                               : means.size() >= 2;
    if (o_.scaling_tolerance > 0) {
      r["scaling"] = scaling(points);
      detected = detected && r["scaling"]["holds"].get<bool>();
    }
    r["detected"] = detected;
    return r;
  }

  // Whether the means scale as x^power: each mean's ratio to the first point's over the ratio the
  // power law predicts, and the exponent a least-squares line through log mean against log x has.
  Json scaling(const std::vector<Point>& points) const {
    Json s;
    s["power"] = o_.power;
    s["tolerance"] = o_.scaling_tolerance;
    bool positive = points.size() >= 2;
    for (const auto& p : points) positive = positive && p.x > 0 && p.mean() > 0;
    if (!positive) {
      s["holds"] = false;
      s["why"] = "needs two or more values of x, and positive x and y";
      return s;
    }
    Json ratios = Json::array();
    double worst = 0, mx = 0, my = 0;
    for (const auto& p : points) {
      const double error = (p.mean() / points[0].mean()) / std::pow(p.x / points[0].x, o_.power) - 1;
      ratios.push_back({{"x", p.x}, {"ratio_error", error}});
      worst = std::max(worst, std::abs(error));
      mx += std::log(p.x) / points.size();
      my += std::log(p.mean()) / points.size();
    }
    double sxy = 0, sxx = 0;
    for (const auto& p : points) {
      sxy += (std::log(p.x) - mx) * (std::log(p.mean()) - my);
      sxx += (std::log(p.x) - mx) * (std::log(p.x) - mx);
    }
    s["points"] = ratios;
    s["fitted_power"] = sxx > 0 ? sxy / sxx : 0.0;
    s["max_ratio_error"] = worst;
    s["holds"] = worst <= o_.scaling_tolerance;
    return s;
  }

 private:
  TrendOptions o_;
};

}  // namespace

std::unique_ptr<SweepDetector> build_trend(const OptionsBase& o) {
  return std::make_unique<Trend>(dynamic_cast<const TrendOptions&>(o));
}

}  // namespace phenom
