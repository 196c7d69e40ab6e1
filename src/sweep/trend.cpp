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

// Ranks with ties averaged (for Spearman's rho).
std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < v.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = (static_cast<double>(i + j) / 2.0) + 1;
    i = j + 1;
  }
  return r;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

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
    r["spearman"] = xs.size() >= 2 ? pearson(ranks(xs), ranks(ys)) : 0.0;
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
