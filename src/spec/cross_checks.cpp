// Rules that span sections of the spec: can the model consume the task's inputs, can the task
// take the loss and the batch size, do the probes read this task, can the fit apply.
#include <algorithm>

#include "core/text.h"
#include "spec/reader.h"

namespace phenom {

void check_across_sections(const YAML::Node& root, const Spec& spec, LoadContext& context) {
  if (!spec.task.options || !spec.model.options) return;  // already reported
  InputSpec inputs = spec.task.options->inputs();
  if (std::string why = spec.model.options->accepts(inputs); !why.empty()) {
    context.add("model.type", root["model"], "model '" + spec.model.type + "' cannot consume the inputs of task '" +
                                                 spec.task.type + "' (" + inputs.describe() + "): " + why);
  }
  const YAML::Node& top = root;  // const lookups never insert keys
  auto train_key = [&](const char* key) { return top["train"] && top["train"][key] ? top["train"][key] : top["train"]; };
  const std::vector<Loss> losses = spec.task.options->losses();
  if (std::find(losses.begin(), losses.end(), spec.train.loss) == losses.end()) {
    std::vector<std::string> names;
    for (Loss l : losses) names.push_back(word(l));
    context.add("train.loss", train_key("loss"), "task '" + spec.task.type + "' " +
                (inputs.regression ? "has real-valued targets, so the loss must be " : "takes the losses ") +
                join(names) + " (found " + word(spec.train.loss) + "). Fix: set train.loss: " + names.front() + ".");
  }
  // Probes that read one task's data (the YAML list may lack the loss_accuracy added in front).
  const YAML::Node probes = top["probes"];
  const size_t listed = probes && probes.IsSequence() ? probes.size() : 0;
  const size_t added = spec.probes.size() - std::min(listed, spec.probes.size());
  for (size_t i = added; i < spec.probes.size(); ++i) {
    const std::string needs = spec.probes[i].options->needs_task();
    if (needs.empty() || needs == spec.task.type) continue;
    context.add("probes." + std::to_string(i - added) + ".type", probes[i - added],
                "probe '" + spec.probes[i].type + "' reads the evaluation data of task '" + needs +
                "', but the task is '" + spec.task.type + "'. Fix: remove the probe, or use task type " + needs + ".");
  }
  if (spec.task.options->streamed() && spec.train.batch_size.full()) {
    context.add("train.batch_size", train_key("batch_size"), "task '" + spec.task.type + "' draws fresh prompts "
                "every step, so it has no full batch. Fix: set train.batch_size to a number, e.g. 64.");
  }
  if (spec.task.options->streamed() && spec.train.fit == Fit::kMinNorm) {
    context.add("train.fit", train_key("fit"), "task '" + spec.task.type + "' has no fixed training set to fit "
                "in closed form. Fix: use fit: gradient.");
  }
  if (spec.train.fit == Fit::kMinNorm && !spec.model.options->linear_readout()) {
    context.add("train.fit", train_key("fit"), "fit: min_norm solves for a linear readout in closed form, but model '" +
                spec.model.type + "' trains more than a readout. Allowed: models linear and random_features. "
                "Fix: use fit: gradient, or one of those models.");
  }
}

}  // namespace phenom
