// The imp protocol's lifecycle: round 0 is the dense run; round r trains the survivors of round
// r-1's magnitude pruning from the rewind point; the controls train the same mask from a fresh
// initialisation, or a random mask of the same per-layer density. Every round is an ordinary run
// in <protocol dir>/<round>/ (resumed or reported like any run); masks are saved in masks/ once and
// reused, so a killed protocol resumes where it stopped.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io.h"
#include "core/safetensors.h"
#include "core/seed.h"
#include "core/text.h"
#include "models/model.h"
#include "detectors/detector.h"
#include "protocols/imp.h"
#include "protocols/lmc.h"
#include "protocols/pruning.h"
#include "protocols/protocol.h"
#include "run/artifact.h"
#include "spec/spec.h"
#include "train/experiment.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

// The pruned parameters: the option's names (each must be a weight of the model), or every weight
// matrix; the output layer is the model's last weight matrix.
std::vector<std::string> prunable_parameters(const ImpOptions& o, const std::map<std::string, torch::Tensor>& weights,
                                             const std::vector<std::string>& order) {
  if (o.prunable.empty()) return weight_matrices(weights, order);
  std::vector<std::string> out;
  for (const auto& name : order) {  // model order
    if (std::find(o.prunable.begin(), o.prunable.end(), name) != o.prunable.end()) out.push_back(name);
  }
  for (const auto& name : o.prunable) {
    if (!weights.count(name)) {
      throw BadInput("protocol.prunable: the model has no parameter '" + name + "'; its parameters: " + join(order) +
                     ". Fix: name some of these.");
    }
  }
  return out;
}

Json round_result(const std::string& run_dir, const Masks& masks) {
  const RunArtifact run(run_dir);
  const MetricHistory history = run.metrics();
  Json out = {{"dir", run_dir}, {"status", run.summary().value("status", "?")}};
  const Series test = history.series("test/acc");
  if (!test.empty()) {
    out["final_test_acc"] = test.values.back();
    out["best_test_acc"] = *std::max_element(test.values.begin(), test.values.end());
  }
  const Series val = history.series("val/loss");
  if (!val.empty()) {  // the early-stop iteration: minimum validation loss
    const size_t best = std::min_element(val.values.begin(), val.values.end()) - val.values.begin();
    out["early_stop_step"] = val.steps[best];
    for (size_t i = 0; i < test.steps.size(); ++i) {
      if (test.steps[i] == val.steps[best]) out["early_stop_test_acc"] = test.values[i];
    }
  }
  const Series measured = history.series("mask/density");
  out["density"] = measured.empty() ? 1.0 : measured.values.back();
  Json layers = Json::object();
  for (const auto& [name, mask] : masks) layers[name] = mask.mean().item<double>();
  out["layer_density"] = layers;
  return out;
}

}  // namespace

int run_imp(const Spec& spec, const RunRequest& request) {
  const ImpOptions& o = spec.protocol.as<ImpOptions>();
  if (spec.init_from.set() || !spec.mask.empty()) {
    throw BadInput("protocol imp sets init_from and mask for its rounds; the spec may not have them. Fix: remove "
                   "init_from and mask from the spec.");
  }
  const ProtocolRuns imp{protocol_dir(spec, request), request, "imp"};
  // The dense run keeps the rewind point; its final weights are what round 1 prunes.
  const int64_t rewind = o.rewind_step();
  const Spec dense = keeping_rewind_point(spec, rewind);
  // Which weights are pruned: every weight matrix, the last being the output layer.
  Experiment shape = build_experiment(spec, Parts::kModel);
  std::map<std::string, torch::Tensor> weights;
  std::vector<std::string> order;
  for (const auto& p : shape.model->named_parameters()) {
    weights[p.key()] = p.value();
    order.push_back(p.key());
  }
  const std::vector<std::string> matrices = weight_matrices(weights, order);
  PruneRule rule{prunable_parameters(o, weights, order), o.strategy == PruneStrategy::kGlobal, o.prune_fraction,
                 o.output_prune_fraction, matrices.empty() ? "" : matrices.back()};
  {
    double total = 0;
    for (const auto& name : rule.prunable) total += static_cast<double>(weights[name].numel());
    const double kept = total * std::pow(1 - o.prune_fraction, static_cast<double>(o.rounds));
    if (kept < 1) {
      throw BadInput("protocol.rounds: " + std::to_string(o.rounds) + " rounds of " + format_double(o.prune_fraction) +
                     " leave no weight of the " + std::to_string(static_cast<int64_t>(total)) + " prunable ones. Fix: "
                     "fewer rounds or a smaller prune_fraction.");
    }
  }
  fs::create_directories(imp.path("specs"));
  fs::create_directories(imp.path("masks"));
  write_file_atomic(imp.path("protocol.yaml"), resolve_text(spec));

  std::vector<Json> rounds;
  Masks masks = full_masks(weights, rule);
  const std::string rewind_text = rewind == 0 ? "init" : std::to_string(rewind);
  auto listed = [](const std::vector<double>& list, int64_t r) {
    return std::find(list.begin(), list.end(), static_cast<double>(r)) != list.end();
  };
  // Linear mode connectivity of a round's network: two more copies from the rewind point with
  // the round's mask ("": none) and other batch orders; returns the exit code.
  auto lmc = [&](const std::string& name, const std::string& mask, Json& result) {
    Json path;
    const int code = run_lmc_copies(imp, name, spec, {imp.path("round_0"), rewind_text, mask}, o.lmc_alphas,
                                    o.lmc_order_seeds, path);
    if (code == 0) result["lmc"] = path;
    return code;
  };
  {
    const int code = imp.run("round_0", derived_run_text(dense, "", "", ""));
    if (code == 130) return code;
    rounds.push_back(round_result(imp.path("round_0"), masks));
    rounds.back()["round"] = 0;
    if (listed(o.lmc_rounds, 0) && code == 0) {
      if (const int c = lmc("round_0", "", rounds.back()); c == 130) return c;
    }
  }
  std::string previous = imp.path("round_0");
  // The random re-initialisation's source: the spec with another seed, at its initialisation.
  Spec reinit = spec;
  reinit.seed = spec.seed + 1000003;
  reinit.name = spec.name + "-reinit";
  const std::string reinit_source = imp.path("specs/reinit_source.yaml");
  if (!o.random_reinit.empty()) write_file_atomic(reinit_source, derived_run_text(reinit, "", "", ""));
  for (int64_t r = 1; r <= o.rounds; ++r) {
    const std::string mask_file = imp.path("masks/round_" + std::to_string(r) + ".safetensors");
    if (fs::exists(mask_file)) {
      masks = read_safetensors(mask_file);
    } else {
      const RunArtifact last(previous);
      Experiment trained = last.model_at(last.checkpoint_steps().back(), /*with_task=*/false);
      std::map<std::string, torch::Tensor> final_weights;
      for (const auto& p : trained.model->named_parameters()) final_weights[p.key()] = p.value();
      masks = magnitude_prune(final_weights, masks, rule);
      // The source run by its name in the protocol, not its path: the mask file's bytes (which the
      // round's spec hash covers) stay the same when the protocol directory moves.
      write_safetensors(mask_file, masks, {{"round", std::to_string(r)},
                                           {"pruned_from", fs::path(previous).filename().string()}});
    }
    const std::string name = "round_" + std::to_string(r);
    int code = imp.run(name, derived_run_text(spec, imp.path("round_0"), rewind_text, mask_file));
    if (code == 130) return code;
    Json result = round_result(imp.path(name), masks);
    result["round"] = r;
    if (listed(o.lmc_rounds, r) && (code = lmc(name, mask_file, result)) == 130) return code;
    if (listed(o.random_reinit, r)) {
      code = imp.run(name + "_random_reinit", derived_run_text(spec, reinit_source, "init", mask_file));
      if (code == 130) return code;
      result["random_reinit"] = round_result(imp.path(name + "_random_reinit"), masks);
    }
    if (listed(o.random_prune, r)) {
      const std::string random_file = imp.path("masks/round_" + std::to_string(r) + "_random.safetensors");
      if (!fs::exists(random_file)) {
        torch::Generator g = at::detail::createCPUGenerator(derive_seed(spec.seed, Stream::kProbe) + static_cast<uint64_t>(r));
        write_safetensors(random_file, random_masks(masks, g), {{"round", std::to_string(r)}});
      }
      code = imp.run(name + "_random_prune", derived_run_text(spec, imp.path("round_0"), rewind_text, random_file));
      if (code == 130) return code;
      result["random_prune"] = round_result(imp.path(name + "_random_prune"), read_safetensors(random_file));
      if (listed(o.lmc_rounds, r) && (code = lmc(name + "_random_prune", random_file, result["random_prune"])) == 130) {
        return code;
      }
    }
    rounds.push_back(result);
    previous = imp.path(name);
  }
  std::vector<std::pair<std::string, int64_t>> sizes;
  for (const auto& name : rule.prunable) sizes.emplace_back(name, weights[name].numel());
  const int code = write_imp_summary(spec, imp.dir, rounds, sizes, rule.output, request.quiet);
  plot_protocol(imp.dir, request);
  return code;
}

}  // namespace phenom
