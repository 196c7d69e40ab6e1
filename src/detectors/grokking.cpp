// Grokking: memorisation (train accuracy) first, generalisation (test accuracy) much later.
#include "detectors/grokking.h"

#include <algorithm>
#include <cstdio>

#include "detectors/detector.h"

namespace phenom {
namespace {

// First logged step at which the series reaches `threshold`, or -1.
int64_t first_reaching(const Series& s, double threshold) {
  for (size_t i = 0; i < s.steps.size(); ++i) if (s.values[i] >= threshold) return s.steps[i];
  return -1;
}

class Grokking : public Detector {
 public:
  explicit Grokking(const GrokkingOptions& o) : o_(o) {}

  Json detect(const MetricHistory& history, const InputSpec& inputs) const override {
    Series train = history.series(o_.train_metric), test = history.series(o_.test_metric);
    const int64_t step_train = first_reaching(train, o_.train_acc);
    const int64_t step_test = first_reaching(test, o_.test_acc);
    Json r;
    r["step_train"] = step_train >= 0 ? Json(step_train) : Json(nullptr);
    r["step_test"] = step_test >= 0 ? Json(step_test) : Json(nullptr);
    double lag = 0;
    if (step_train > 0 && step_test >= 0) {
      lag = static_cast<double>(step_test) / static_cast<double>(step_train);
      r["lag_ratio"] = lag;
    } else {
      r["lag_ratio"] = nullptr;
    }
    const double chance = inputs.num_classes > 0 ? 1.0 / static_cast<double>(inputs.num_classes) : 0.0;
    r["chance_acc"] = chance;
    if (step_train >= 0) {
      double at = 0;
      for (size_t i = 0; i < test.steps.size(); ++i) if (test.steps[i] <= step_train) at = test.values[i];
      r["test_acc_at_step_train"] = at;
      r["below_chance_at_step_train"] = at < chance;
    }
    r["final_test_acc"] = test.empty() ? Json(nullptr) : Json(test.values.back());
    // The weight norm rises while the network memorises and falls while it cleans up.
    Series norm = history.series("weight_norm");
    if (!norm.empty()) {
      size_t peak = std::max_element(norm.values.begin(), norm.values.end()) - norm.values.begin();
      r["step_peak_weight_norm"] = norm.steps[peak];
      r["peak_weight_norm"] = norm.values[peak];
      r["final_weight_norm"] = norm.values.back();
    }
    // Mechanism: Fourier concentration of the weights (fourier probe), first vs last.
    Series ipr = history.series("fourier/ipr_median");
    if (!ipr.empty()) {
      r["ipr_median_init"] = ipr.values.front();
      r["ipr_median_final"] = ipr.values.back();
      r["ipr_ratio"] = ipr.values.front() > 0 ? ipr.values.back() / ipr.values.front() : 0.0;
    }
    // Progress measure (transformer): restricted loss falls before test loss does.
    Series restricted = history.series("fourier/restricted_loss");
    if (!restricted.empty()) {
      Series test_loss = history.series(o_.test_loss_metric);
      // The restricted loss is measured once the key frequencies are sparse; before that the
      // restricted logits carry nothing, so its starting level is the initial test loss (chance).
      const bool late = !test_loss.empty() && restricted.steps.front() > test_loss.steps.front();
      auto first_below = [&](const Series& s, double initial) -> Json {
        for (size_t i = 0; i < s.steps.size(); ++i) {
          if (s.values[i] <= o_.loss_fraction * initial) return s.steps[i];
        }
        return nullptr;
      };
      r["step_restricted_loss"] = first_below(restricted, late ? test_loss.values.front() : restricted.values.front());
      r["step_test_loss"] = test_loss.empty() ? Json() : first_below(test_loss, test_loss.values.front());
      r["restricted_leads"] = !r["step_restricted_loss"].is_null() &&
                              (r["step_test_loss"].is_null() ||
                               r["step_restricted_loss"].get<int64_t>() < r["step_test_loss"].get<int64_t>());
    }
    r["generalized"] = step_test >= 0;
    r["detected"] = step_train > 0 && step_test >= 0 && lag >= o_.min_lag_ratio;
    return r;
  }

  std::string describe(const Json& r) const override {
    char buffer[512];
    if (r["detected"].get<bool>()) {
      std::snprintf(buffer, sizeof(buffer),
                    "grokked: train acc >= %.2f at step %lld, test acc >= %.2f at step %lld (lag ratio %.2f; test acc "
                    "%.3f at step_train, chance %.3f)",
                    o_.train_acc, static_cast<long long>(r["step_train"].get<int64_t>()), o_.test_acc,
                    static_cast<long long>(r["step_test"].get<int64_t>()), r["lag_ratio"].get<double>(),
                    r["test_acc_at_step_train"].get<double>(), r["chance_acc"].get<double>());
    } else if (r["generalized"].get<bool>()) {
      std::snprintf(buffer, sizeof(buffer),
                    "generalised without a grokking delay: test acc >= %.2f at step %lld, lag ratio %s < %.2f", o_.test_acc,
                    static_cast<long long>(r["step_test"].get<int64_t>()), r["lag_ratio"].dump().c_str(), o_.min_lag_ratio);
    } else if (!r["step_train"].is_null()) {
      std::snprintf(buffer, sizeof(buffer), "did not grok: memorised at step %lld but test acc never reached %.2f (final %s)",
                    static_cast<long long>(r["step_train"].get<int64_t>()), o_.test_acc, r["final_test_acc"].dump().c_str());
    } else {
      std::snprintf(buffer, sizeof(buffer), "did not grok: train acc never reached %.2f", o_.train_acc);
    }
    return buffer;
  }

 private:
  GrokkingOptions o_;
};

}  // namespace

std::unique_ptr<Detector> build_grokking(const OptionsBase& o, BuildContext&) {
  return std::make_unique<Grokking>(dynamic_cast<const GrokkingOptions&>(o));
}

}  // namespace phenom
