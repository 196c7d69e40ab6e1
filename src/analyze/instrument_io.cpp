#include "analyze/instrument_io.h"

#include <filesystem>

#include "core/error.h"
#include "core/io.h"
#include "core/safetensors.h"
#include "models/model.h"
#include "probes/activations.h"
#include "run/artifact.h"
#include "train/experiment.h"

namespace phenom {

decltype(ProbeContext::reference_activations) reference_activations(const RunArtifact& run) {
  const std::string here = run.spec().task.options->inputs().shape(), self = run.path();
  return [here, self](const std::string& name, int64_t step, const torch::Tensor& inputs,
                      const std::vector<std::string>& hooks, const std::string& position) {
    const std::string path = name == "this" ? self : name;
    const RunArtifact reference(path);
    const std::string there = reference.spec().task.options->inputs().shape();
    if (there != here) {
      throw BadInput("the reference run '" + path + "' reads " + there + "; this run's model reads " + here +
                     ". Fix: compare runs of the same task shape (e.g. other seeds of this spec).");
    }
    Experiment ex = reference.model_at(step, /*with_task=*/false);
    return activations_of(*ex.model, inputs.to(ex.device), hooks, position, "reference run '" + path + "'");
  };
}

decltype(ProbeContext::reference_checkpoints) reference_checkpoints(const RunArtifact& run) {
  const std::string self = run.path();
  return [self](const std::string& name) { return RunArtifact(name == "this" ? self : name).checkpoint_steps(); };
}

std::string write_exports(const std::string& out, int64_t step, const std::string& key,
                          const std::map<std::string, Export>& exports) {
  const std::string dir = "exports/step_" + std::to_string(step) + "." + key;
  for (const auto& [name, e] : exports) {
    const std::string path = out + "/" + dir + "/" + name;
    std::filesystem::create_directories(path);
    for (const auto& [file, json] : e.json) write_file_atomic(path + "/" + file, json.dump(2) + "\n");
    for (const auto& [file, tensors] : e.safetensors) write_safetensors(path + "/" + file, tensors);
  }
  return dir;
}

}  // namespace phenom
