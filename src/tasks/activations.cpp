#include "tasks/activations_task.h"

#include <cmath>

#include "core/build_context.h"
#include "core/error.h"
#include "models/capture.h"
#include "models/model.h"

namespace phenom {
namespace {

const char* kInstrument = "the activations task (task.hook)";

SavedSystem open_source(const ActivationsOptions& o, bool with_task) {
  if (!saved_run_opener()) throw std::logic_error("no saved-run opener is installed (run/artifact.cpp)");
  try {
    return saved_run_opener()(o.run, o.step, with_task);
  } catch (const BadInput& e) {
    throw BadInput(std::string("task.run: ") + e.what());
  }
}

// One example of zeros in the shape a model reads (the width of a hook costs one forward pass).
torch::Tensor zero_example(const InputSpec& in) {
  switch (in.kind) {
    case InputSpec::Kind::kTokens: return torch::zeros({1, in.seq_len}, torch::kLong);
    case InputSpec::Kind::kVectors: return torch::zeros({1, in.seq_len, in.feature_dim});
    case InputSpec::Kind::kImages: return torch::zeros({1, in.channels, in.height, in.width});
    case InputSpec::Kind::kFeatures: break;
  }
  return torch::zeros({1, in.feature_dim});
}

}  // namespace

SavedRunOpener& saved_run_opener() {
  static SavedRunOpener opener;
  return opener;
}

InputSpec ActivationsOptions::inputs() const {
  if (inputs_) return *inputs_;
  InputSpec spec;
  spec.kind = InputSpec::Kind::kFeatures;
  spec.regression = true;
  if (run.empty() || hook.empty()) return spec;  // check() says what is missing
  SavedSystem source = open_source(*this, /*with_task=*/false);
  require_hooks(*source.model, {hook}, kInstrument);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = zero_example(source.inputs).to(source.device);
  spec.feature_dim = activations_of(*source.model, x, {hook}, position, kInstrument)[0].size(1);
  spec.num_classes = spec.feature_dim;
  inputs_ = spec;
  return spec;
}

ActivationsTask::ActivationsTask(const ActivationsOptions& o, BuildContext& context)
    : FixedSplitTask(context), options_(o), source_(open_source(o, /*with_task=*/true)) {
  require_hooks(*source_.model, {o.hook}, kInstrument);
  auto examples = [&](const std::string& name, const char* key) {
    const Batch* set = source_.task->eval_set(name);
    if (!set) {
      std::string sets;
      for (const EvalSet& e : source_.task->eval_sets()) sets += (sets.empty() ? "" : ", ") + e.name;
      throw BadInput("task." + std::string(key) + ": the source task has no set '" + name + "'; it has " + sets +
                     ". Fix: name one of those.");
    }
    return o.max_examples > 0 && o.max_examples < set->size() ? set->rows(0, o.max_examples) : *set;
  };
  source_train_ = examples(o.set, "set");
  source_test_ = examples(o.test_set, "test_set");
  torch::NoGradGuard no_grad;
  auto rows = [&](const Batch& b) {
    return activations_of(*source_.model, b.inputs, {o.hook}, o.position, kInstrument)[0];
  };
  const torch::Tensor train = rows(source_train_), test = rows(source_test_);
  if (o.normalize) {
    const double mean_square = train.pow(2).sum(1).mean().item<double>();
    if (mean_square > 0) scale_ = std::sqrt(static_cast<double>(train.size(1)) / mean_square);
  }
  auto batch = [&](const torch::Tensor& x) {
    const torch::Tensor scaled = (x * scale_).to(context.device, context.dtype);
    return Batch{scaled, scaled};
  };
  train_ = batch(train);
  test_ = batch(test);
}

torch::Tensor ActivationsTask::loss(Loss, const torch::Tensor& outputs, const Batch& batch) const {
  return (outputs - batch.targets).pow(2).sum(1).mean();
}

Score ActivationsTask::score(Loss name, const torch::Tensor& outputs, const Batch& batch) const {
  torch::NoGradGuard no_grad;
  return {loss(name, outputs, batch).item<double>(), std::nullopt};
}

const Batch& ActivationsTask::source_examples(const std::string& name) const {
  if (name == "train") return source_train_;
  if (name == "test") return source_test_;
  throw BadInput("the activations task has the sets train and test, not '" + name + "'. Fix: name one of those.");
}

void ActivationsTask::describe(nlohmann::ordered_json& out) const {
  out["source_run"] = options_.run;
  out["source_spec_hash"] = source_.spec_hash;
  out["source_step"] = source_.step;
  out["hook"] = options_.hook;
  out["d_in"] = train_.inputs.size(1);
  out["train_rows"] = train_.size();
  out["test_rows"] = test_.size();
  out["scale"] = scale_;
}

std::unique_ptr<Task> build_activations(const TaskOptions& options, BuildContext& context) {
  return std::make_unique<ActivationsTask>(dynamic_cast<const ActivationsOptions&>(options), context);
}

}  // namespace phenom
