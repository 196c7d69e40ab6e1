// Edge of stability (Cohen et al. 2021): under full-batch gradient descent the sharpness rises
// (progressive sharpening) until it reaches the stability threshold 2/lr, then hovers at it while
// the loss keeps falling over long times but no longer monotonically.
#include "detectors/edge_of_stability.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "detectors/detector.h"

namespace phenom {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The fraction of consecutive logged pairs with steps in [from, to] where the loss went up.
Json rising_fraction(const Series& loss, int64_t from, int64_t to) {
  int64_t pairs = 0, rises = 0;
  for (size_t i = 1; i < loss.steps.size(); ++i) {
    if (loss.steps[i - 1] < from || loss.steps[i] > to) continue;
    ++pairs;
    rises += loss.values[i] > loss.values[i - 1];
  }
  return pairs ? Json(static_cast<double>(rises) / static_cast<double>(pairs)) : Json(nullptr);
}

class EdgeOfStability : public Detector {
 public:
  explicit EdgeOfStability(const EdgeOfStabilityOptions& o) : o_(o) {}

  Json detect(const MetricHistory& history, const InputSpec&) const override {
    const Series sharpness = history.series(o_.sharpness_metric), threshold = history.series(o_.threshold_metric);
    const Series loss = history.series(o_.loss_metric);
    Json r;
    r["detected"] = false;
    if (sharpness.empty() || threshold.steps != sharpness.steps) {
      r["onset_step"] = nullptr;
      return r;
    }
    std::vector<double> ratio;
    for (size_t i = 0; i < sharpness.steps.size(); ++i) ratio.push_back(sharpness.values[i] / threshold.values[i]);
    r["lambda_initial"] = sharpness.values.front();
    r["lambda_final"] = sharpness.values.back();
    const auto first_at = [&](double fraction) {
      for (size_t i = 0; i < ratio.size(); ++i) if (ratio[i] >= fraction) return i;
      return ratio.size();
    };
    const size_t onset = first_at(o_.onset_fraction), unstable = first_at(o_.stable_fraction);
    // The stable regime: up to the first measurement at stable_fraction x threshold (or the end).
    const int64_t stable_end = unstable < ratio.size() ? sharpness.steps[unstable] : sharpness.steps.back();
    r["loss_rising_before"] = rising_fraction(loss, sharpness.steps.front(), stable_end);
    double before = sharpness.values.front();
    for (size_t i = 0; i < std::min(onset + 1, ratio.size()); ++i) before = std::max(before, sharpness.values[i]);
    // Progressive sharpening: the largest sharpness up to onset (or the end) over the initial one.
    r["sharpening"] = sharpness.values.front() > 0 ? before / sharpness.values.front() : 0.0;
    if (onset == ratio.size()) {
      r["onset_step"] = nullptr;
      r["max_ratio"] = *std::max_element(ratio.begin(), ratio.end());
      return r;
    }
    const int64_t onset_step = sharpness.steps[onset];
    const std::vector<double> after(ratio.begin() + static_cast<std::ptrdiff_t>(onset), ratio.end());
    r["onset_step"] = onset_step;
    r["median_ratio"] = median(after);
    // The plateau itself: the median sharpness from onset on (it follows 2/lr when lr changes).
    r["plateau_sharpness"] = median(std::vector<double>(sharpness.values.begin() + static_cast<std::ptrdiff_t>(onset),
                                                        sharpness.values.end()));
    r["max_ratio"] = *std::max_element(after.begin(), after.end());
    r["measurements_after_onset"] = after.size();
    r["loss_rising_after"] = rising_fraction(loss, onset_step, std::numeric_limits<int64_t>::max());
    for (size_t i = 0; i < loss.steps.size(); ++i) {
      if (loss.steps[i] <= onset_step) r["loss_at_onset"] = loss.values[i];
    }
    if (!loss.empty()) r["loss_final"] = loss.values.back();
    // Non-monotone after onset, yet lower at the end than at onset.
    r["loss_fell_after_onset"] = r.contains("loss_at_onset") && r.contains("loss_final") &&
                                 r["loss_final"].get<double>() < r["loss_at_onset"].get<double>();
    const double m = r["median_ratio"].get<double>();
    r["detected"] = after.size() >= 2 && m >= o_.band_low && m <= o_.band_high && r["max_ratio"].get<double>() < o_.max_ratio;
    return r;
  }

  std::string describe(const Json& r) const override {
    char text[256];
    if (r["onset_step"].is_null()) {
      std::snprintf(text, sizeof(text), "sharpness never reached %.2f x 2/lr (sharpening x%.2f)", o_.onset_fraction,
                    r.value("sharpening", 0.0));
      return text;
    }
    std::snprintf(text, sizeof(text),
                  "%s: sharpness x%.2f to reach %.2f x 2/lr at step %lld; after onset lambda_max/(2/lr) median %.3f, "
                  "max %.3f; loss rising in %.0f%% of intervals after onset",
                  r["detected"].get<bool>() ? "at the edge of stability" : "not at the edge of stability",
                  r["sharpening"].get<double>(), o_.onset_fraction, static_cast<long long>(r["onset_step"].get<int64_t>()),
                  r["median_ratio"].get<double>(), r["max_ratio"].get<double>(),
                  r["loss_rising_after"].is_null() ? 0.0 : 100 * r["loss_rising_after"].get<double>());
    return text;
  }

 private:
  EdgeOfStabilityOptions o_;
};

}  // namespace

std::unique_ptr<Detector> build_edge_of_stability(const OptionsBase& o, BuildContext&) {
  return std::make_unique<EdgeOfStability>(dynamic_cast<const EdgeOfStabilityOptions&>(o));
}

}  // namespace phenom
