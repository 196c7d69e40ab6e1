// random_labels (Zhang et al. 2017): along a swept label-corruption level, does the network still
// fit its training set, how long does it take, and what happens to clean test accuracy.
#include "sweep/random_labels.h"

#include "sweep/detector.h"
#include "sweep/points.h"

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

class RandomLabels : public SweepDetector {
 public:
  explicit RandomLabels(const RandomLabelsOptions& o) : o_(o) {}
  void check(const std::vector<std::string>& axes) const override { require_swept("random_labels", o_.x, axes); }

  Json detect(const std::vector<SweepRow>& rows) const override {
    const auto train = points_along(rows, o_.x, o_.train_acc);
    const auto test = points_along(rows, o_.x, o_.test_acc);
    const auto steps = points_along(rows, o_.x, o_.steps);  // runs that never fitted have no step
    Json r;
    r["x"] = o_.x;
    double chance = o_.chance;
    if (chance <= 0) {
      for (const auto& row : rows) {
        if (const Json* k = summary_value(row.summary, "data.num_classes"); k && k->is_number() && k->get<double>() > 0) {
          chance = 1.0 / k->get<double>();
          break;
        }
      }
    }
    r["chance"] = chance;
    r["detected"] = false;
    if (train.empty() || test.empty()) {
      r["reason"] = "no runs with " + o_.train_acc + " and " + o_.test_acc;
      return r;
    }
    Json out = Json::array();
    bool all_fitted = true;
    std::vector<double> step_means;
    for (size_t i = 0; i < train.size(); ++i) {
      Json p = {{"x", train[i].x}, {"train_acc_min", train[i].min()}, {"train_acc_mean", train[i].mean()}};
      all_fitted &= train[i].min() >= o_.fitted;
      if (const Point* t = point_at(test, train[i].x)) {
        p["test_acc"] = {{"mean", t->mean()}, {"min", t->min()}, {"max", t->max()}};
      }
      const Point* s = point_at(steps, train[i].x);
      p["fitted_runs"] = s ? s->ys.size() : 0;
      p["runs"] = train[i].ys.size();
      p["steps_to_fit"] = s ? Json(s->mean()) : Json();
      if (s) step_means.push_back(s->mean());
      out.push_back(p);
    }
    r["points"] = out;
    r["all_fitted"] = all_fitted;

    const Point& last = test.back();
    r["test_acc_at_max"] = {{"x", last.x}, {"mean", last.mean()}, {"min", last.min()}, {"max", last.max()}};
    const bool near_chance = last.min() >= chance - o_.chance_band && last.max() <= chance + o_.chance_band;
    r["test_at_chance"] = near_chance;

    // Steps to fit non-decreasing in x, up to max_inversions drops of at most inversion_tolerance.
    int64_t inversions = 0;
    bool steps_ok = step_means.size() == train.size();  // every level has fitted runs
    Json drops = Json::array();
    for (size_t i = 1; i < step_means.size(); ++i) {
      if (step_means[i] >= step_means[i - 1]) continue;
      const double drop = 1.0 - step_means[i] / step_means[i - 1];
      drops.push_back({{"between", {train[i - 1].x, train[i].x}}, {"drop", drop}});
      ++inversions;
      steps_ok &= drop <= o_.inversion_tolerance;
    }
    steps_ok &= inversions <= o_.max_inversions;
    r["steps_inversions"] = drops;
    r["steps_non_decreasing"] = steps_ok;

    bool test_decreasing = test.size() >= 2;
    for (size_t i = 1; i < test.size(); ++i) test_decreasing &= test[i].mean() <= test[i - 1].mean();
    r["test_acc_decreasing"] = test_decreasing;
    r["detected"] = all_fitted && near_chance && steps_ok && test_decreasing;
    return r;
  }

 private:
  RandomLabelsOptions o_;
};

}  // namespace

std::unique_ptr<SweepDetector> build_random_labels(const OptionsBase& o) {
  return std::make_unique<RandomLabels>(dynamic_cast<const RandomLabelsOptions&>(o));
}

}  // namespace phenom
