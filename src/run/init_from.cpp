#include "run/init_from.h"

#include "core/error.h"
#include "run/artifact.h"
#include "train/checkpoint.h"
#include "train/experiment.h"

namespace phenom {

Experiment init_from_source(const Spec& spec) {
  const InitFromOptions& from = spec.init_from;
  if (!from.set()) return {};
  const int64_t step = from.step_number();
  if (RunArtifact::is_run(from.source_dir)) {
    RunArtifact source(from.source_dir);
    if (source.spec_hash() != from.source_hash) {
      throw BadInput("init_from.run: '" + from.source_dir + "' now holds a run of another spec (hash " +
                     source.spec_hash() + "; this run was made from " + from.source_hash + "). Fix: point "
                     "init_from.run at the original source.");
    }
    // Its checkpoints after step 0 are on the way to a divergence (a loss of 1e20 is still finite).
    const auto summary = source.summary();
    if (summary.value("status", "") == "diverged" && step > 0 && !from.allow_diverged) {
      throw BadInput("init_from.run: '" + from.source_dir + "' diverged (at step " +
                     std::to_string(summary.value("steps", int64_t{0})) + "), so its weights at step " + from.step +
                     " are on the way there, not a trained model's. Fix: step: init, a run that did not diverge, "
                     "or init_from.allow_diverged: true to take them anyway.");
    }
    return source.model_at(step, /*with_task=*/false);
  }
  if (step == 0 && from.source) {  // its init
    if (spec_hash(*from.source) != from.source_hash) {
      throw BadInput("init_from.run: the spec '" + from.source_file + "' has changed since this run was made from it "
                     "(hash " + spec_hash(*from.source) + ", recorded " + from.source_hash + "). Fix: restore it, or "
                     "start the run over with --fresh.");
    }
    return build_experiment(*from.source, Parts::kModel);
  }
  throw BadInput("init_from.run: there is no run at '" + from.source_dir + "' to take step " + from.step +
                 " from. Fix: run the source first (phenom run on its spec), or use step: init.");
}

void apply_init_from(const Spec& spec, const Experiment& source, Experiment& ex) {
  if (!source.model) return;
  copy_weights(source, ex, "the init_from run '" + spec.init_from.source_dir + "' (step " + spec.init_from.step + ")");
}

}  // namespace phenom
