// Sweep-level detectors: one line each. `phenom list sweep_detectors` comes from here.
#include "spec/component.h"
#include "sweep/detector.h"
#include "sweep/double_descent.h"
#include "sweep/flatness.h"
#include "sweep/random_labels.h"
#include "sweep/task_diversity.h"
#include "sweep/trend.h"

namespace phenom {

std::unique_ptr<SweepDetector> build_trend(const OptionsBase&);
std::unique_ptr<SweepDetector> build_double_descent(const OptionsBase&);
std::unique_ptr<SweepDetector> build_random_labels(const OptionsBase&);
std::unique_ptr<SweepDetector> build_task_diversity(const OptionsBase&);
std::unique_ptr<SweepDetector> build_flatness_sweep(const OptionsBase&);

const std::vector<SweepDetectorEntry>& sweep_detector_registry() {
  static const std::vector<SweepDetectorEntry> registry = {
      {"trend", "a run summary value along one swept key: mean/min/max per value, monotone?, Spearman rho",
       make_options<OptionsBase, TrendOptions>, build_trend},
      {"double_descent", "an interior peak of a test metric along capacity or sample size: height against x/4 and 4x, "
                         "at the interpolation threshold?",
       make_options<OptionsBase, DoubleDescentOptions>, build_double_descent},
      {"random_labels", "fitting corrupted labels (Zhang et al.): fitted at every level?, test accuracy at full "
                        "corruption vs chance, steps-to-fit and clean test accuracy along the level",
       make_options<OptionsBase, RandomLabelsOptions>, build_random_labels},
      {"task_diversity", "in-context regression along the task-pool size M (Raventós et al.): nearer the pool's Bayes "
                         "predictor (dMMSE) or ridge on fresh tasks, the transition M*, error against M",
       make_options<OptionsBase, TaskDiversityOptions>, build_task_diversity},
      {"flatness", "small batch against large batch and SAM, seed by seed (Keskar et al.; Foret et al.): large batch "
                   "sharper?, SAM flatter and as accurate?, each flatness measure's rank correlation with the gap",
       make_options<OptionsBase, FlatnessSweepOptions>, build_flatness_sweep},
  };
  return registry;
}

}  // namespace phenom
