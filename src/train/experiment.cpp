// Builds a run's components from the registries, on the device the spec names.
#include "train/experiment.h"

#include "core/device.h"
#include "core/seed.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "detectors/detector.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {

Experiment::Experiment() = default;
Experiment::Experiment(Experiment&&) noexcept = default;
Experiment& Experiment::operator=(Experiment&&) noexcept = default;
Experiment::~Experiment() = default;

Experiment build_experiment(const Spec& spec, Parts parts) {
  Experiment ex;
  ex.device = resolve_device(spec.device);
  torch::manual_seed(derive_seed(spec.seed, Stream::kProbe));  // anything not given a generator
  BuildContext context(spec, ex.device);
  if (parts == Parts::kModel) {
    context.inputs = spec.task.options->inputs();  // what the task would report, without its data
  } else {
    ex.task = find_entry(task_registry(), spec.task.type)->build(*spec.task.options, context);
    context.inputs = ex.task->inputs();
  }
  ex.model = find_entry(model_registry(), spec.model.type)->build(*spec.model.options, context);
  ex.model->to(ex.device);
  // Cast only floating-point tensors: token offsets and masks stay integer/bool.
  for (auto& t : ex.model->parameters()) if (t.is_floating_point()) t.set_data(t.to(context.dtype));
  for (auto& t : ex.model->buffers()) if (t.is_floating_point()) t.set_data(t.to(context.dtype));
  if (parts != Parts::kAll) return ex;
  for (auto& p : ex.model->parameters()) if (p.requires_grad()) context.parameters.push_back(p);
  ex.optimizer = find_entry(optimizer_registry(), spec.optimizer.type)->build(*spec.optimizer.options, context);
  ex.callbacks = callbacks_from_spec(spec);
  for (const auto& p : spec.probes) ex.probes.push_back(find_entry(probe_registry(), p.type)->build(*p.options, context));
  for (const auto& d : spec.detectors) {
    ex.detectors.push_back(find_entry(detector_registry(), d.type)->build(*d.options, context));
  }
  return ex;
}

}  // namespace phenom
