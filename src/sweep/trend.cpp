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
    r["detected"] = o_.expect == "increasing" ? increasing : o_.expect == "decreasing" ? decreasing : means.size() >= 2;
    return r;
  }

 private:
  TrendOptions o_;
};

}  // namespace

std::unique_ptr<SweepDetector> build_trend(const OptionsBase& o) {
  return std::make_unique<Trend>(dynamic_cast<const TrendOptions&>(o));
}

}  // namespace phenom
