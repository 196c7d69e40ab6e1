// The loop's step callbacks (pruning masks, their state in checkpoints), checkpoint cadences,
// run directories opened as artifacts, and init_from (DESIGN.md §8 B and C).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "core/error.h"
#include "models/model.h"
#include "run/artifact.h"
#include "run/console.h"
#include "run/rundir.h"
#include "run/run_sink.h"
#include "spec/spec.h"
#include "train/callbacks.h"
#include "train/checkpoint.h"
#include "train/experiment.h"
#include "train/trainer.h"

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;

Spec mlp_spec(const std::string& optimizer, int steps) {
  return load_spec_text("device: cpu\ntask: {type: modular_arithmetic, modulus: 11, train_fraction: 0.5}\n"
                        "model: {type: mlp, width: 32}\noptimizer: " + optimizer + "\n"
                        "train: {steps: " + std::to_string(steps) + ", loss: cross_entropy, eval_every: 25}\n");
}

// Half of every weight matrix pruned at random (biases kept).
std::map<std::string, torch::Tensor> half_masks(Model& model) {
  torch::Generator g = at::detail::createCPUGenerator(7);
  std::map<std::string, torch::Tensor> masks;
  for (const auto& p : model.named_parameters()) {
    if (p.value().dim() == 2) masks[p.key()] = torch::rand(p.value().sizes(), g).lt(0.5).to(torch::kFloat);
  }
  return masks;
}

MetricHistory train(const Spec& spec, Experiment& ex, const std::string& dir_path) {
  RunDir dir(dir_path);
  dir.create_and_lock();
  dir.prepare(resolve_text(spec), "{}\n");
  Console console(/*quiet=*/true, dir.file("log.txt"));
  MetricHistory history;
  RunSink sink(dir, console);
  Trainer(spec, ex, sink, spec_hash(spec)).run(0, history);
  return history;
}

TEST(StepCallbacks, PrunedWeightsStayExactlyZeroUnderEveryOptimizer) {
  for (const char* optimizer : {"{type: adam, lr: 0.01, weight_decay: 0.1}",
                                "{type: sgd, lr: 0.1, momentum: 0.9, weight_decay: 0.01}",
                                "{type: adamw, lr: 0.01, weight_decay: 1.0}"}) {
    TempDir tmp;
    const Spec spec = mlp_spec(optimizer, 200);
    Experiment ex = build_experiment(spec);
    const auto masks = half_masks(*ex.model);
    ex.callbacks.insert(ex.callbacks.begin(), make_weight_mask(*ex.model, masks));
    const auto before = ex.model->named_parameters();
    std::map<std::string, torch::Tensor> initial;
    for (const auto& p : before) initial[p.key()] = p.value().detach().clone();
    const MetricHistory history = train(spec, ex, tmp.path);
    double kept = 0, total = 0;
    for (const auto& [name, mask] : masks) {
      const torch::Tensor w = ex.model->named_parameters()[name];
      EXPECT_EQ(w.masked_select(mask.eq(0)).abs().max().item<double>(), 0.0) << optimizer << " " << name;
      // The kept weights trained (the mask is not freezing the layer).
      EXPECT_GT((w - initial[name]).masked_select(mask.ne(0)).abs().max().item<double>(), 1e-4) << optimizer;
      kept += mask.sum().item<double>();
      total += static_cast<double>(mask.numel());
    }
    const Series density = history.series("mask/density");
    ASSERT_FALSE(density.empty());
    EXPECT_DOUBLE_EQ(density.values.back(), kept / total);
    EXPECT_NE(history.series("train/loss").values.back(), history.series("train/loss").values.front());
  }
}

TEST(StepCallbacks, MaskStateRoundTripsThroughCheckpoints) {
  TempDir tmp;
  const Spec spec = mlp_spec("{type: adam, lr: 0.01}", 10);
  Experiment ex = build_experiment(spec);
  const auto masks = half_masks(*ex.model);
  ex.callbacks.push_back(make_weight_mask(*ex.model, masks));
  save_checkpoint(tmp / "c.pt", ex, 3, spec_hash(spec));
  // A resumed process builds the callback again; its state comes from the checkpoint.
  Experiment resumed = build_experiment(spec);
  std::map<std::string, torch::Tensor> ones;
  for (const auto& [name, mask] : masks) ones[name] = torch::ones_like(mask);
  resumed.callbacks.push_back(make_weight_mask(*resumed.model, ones));
  EXPECT_EQ(load_checkpoint(tmp / "c.pt", resumed, spec_hash(spec)).step, 3);
  for (const auto& [name, mask] : resumed.callbacks.back()->state()) EXPECT_TRUE(mask.equal(masks.at(name))) << name;
  // A checkpoint without that state is refused, not silently resumed unmasked.
  Experiment plain = build_experiment(spec);
  save_checkpoint(tmp / "plain.pt", plain, 3, spec_hash(spec));
  EXPECT_THROW(load_checkpoint(tmp / "plain.pt", resumed, spec_hash(spec)), RunFailed);
}

TEST(StepCallbacks, AMaskNamingAMissingParameterOrShapeIsRefused) {
  Experiment ex = build_experiment(mlp_spec("{type: adam, lr: 0.01}", 10));
  EXPECT_THROW(make_weight_mask(*ex.model, {{"nope.weight", torch::ones({2, 2})}}), BadInput);
  const std::string first = ex.model->named_parameters().begin()->key();
  EXPECT_THROW(make_weight_mask(*ex.model, {{first, torch::ones({1, 1})}}), BadInput);
}

// A small run with checkpoints at a log cadence, for the artifact and init_from tests.
std::string source_spec(const std::string& extra = "") {
  return "name: src\ndevice: cpu\n"
         "task: {type: modular_arithmetic, modulus: 11, train_fraction: 0.5}\n"
         "model: {type: mlp, width: 32}\noptimizer: {type: adamw, lr: 0.01}\n"
         "train: {steps: 120, loss: cross_entropy, eval_every: 20, checkpoint_every: {per_decade: 2}}\n" + extra;
}

TEST(RunArtifacts, CheckpointCadenceStepsMetricsAndModelAt) {
  TempDir tmp;
  write_text(tmp / "src.yaml", source_spec());
  ASSERT_EQ(run_cli("run src.yaml --out src --threads 1 --no-plot --quiet", tmp.path).code, 0);
  const RunArtifact run(tmp / "src");
  EXPECT_TRUE(run.done());
  EXPECT_EQ(run.state(), RunState::kDone);
  // {per_decade: 2}: the first step at or after each 10^(k/2), step 0 included; and last.pt (120).
  EXPECT_EQ(run.checkpoint_steps(), (std::vector<int64_t>{0, 1, 4, 10, 32, 100, 120}));
  EXPECT_EQ(run.spec_hash(), nlohmann::json::parse(slurp(tmp / "src/meta.json"))["spec_hash"]);
  EXPECT_EQ(run.metrics().rows().size(), 7u);  // steps 0, 20, ..., 120
  EXPECT_EQ(run.summary()["status"], "completed");
  // The model at step 100 is the checkpoint's; at step 0 the initialisation (rebuilt or stored).
  Experiment at100 = run.model_at(100), at0 = run.model_at(0), fresh = build_experiment(run.spec(), Parts::kTaskAndModel);
  for (const auto& p : at0.model->named_parameters()) {
    EXPECT_TRUE(p.value().equal(fresh.model->named_parameters()[p.key()])) << p.key();
    EXPECT_FALSE(p.value().equal(at100.model->named_parameters()[p.key()])) << p.key();
  }
  try {
    run.model_at(50);
    ADD_FAILURE() << "step 50 has no checkpoint";
  } catch (const BadInput& e) {
    EXPECT_NE(std::string(e.what()).find("0, 1, 4, 10, 32, 100, 120"), std::string::npos) << e.what();
  }
  EXPECT_THROW(RunArtifact(tmp.path), BadInput);  // not a run directory
}

TEST(RunArtifacts, InitFromCopiesTheWeightsAndIsContentAddressed) {
  TempDir tmp;
  write_text(tmp / "src.yaml", source_spec());
  ASSERT_EQ(run_cli("run src.yaml --out src --threads 1 --no-plot --quiet", tmp.path).code, 0);
  const std::string target =
      "name: dst\ndevice: cpu\nseed: 3\n"
      "task: {type: modular_arithmetic, modulus: 11, train_fraction: 0.5}\n"
      "model: {type: mlp, width: 32}\noptimizer: {type: adamw, lr: 0.01}\n"
      "train: {steps: 20, loss: cross_entropy, eval_every: 10, checkpoint_every: 10}\n"
      "init_from: {run: src, step: 32}\n";
  write_text(tmp / "dst.yaml", target);
  CliResult r = run_cli("run dst.yaml --out dst --threads 1 --no-plot --quiet", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  Experiment source = RunArtifact(tmp / "src").model_at(32), started = RunArtifact(tmp / "dst").model_at(0);
  for (const auto& p : started.model->named_parameters()) {
    EXPECT_TRUE(p.value().equal(source.model->named_parameters()[p.key()])) << p.key();
  }
  // The hash names the source by content: a copy elsewhere gives the same hash, another step not.
  fs::copy(tmp / "src", tmp / "moved", fs::copy_options::recursive);
  const std::string hash = run_cli("validate dst.yaml", tmp.path).output;
  EXPECT_EQ(run_cli("validate dst.yaml init_from.run=moved", tmp.path).output, hash);
  EXPECT_NE(run_cli("validate dst.yaml init_from.step=100", tmp.path).output, hash);
  // The stored spec reopens from another directory (the source is stored resolved).
  EXPECT_EQ(RunArtifact(tmp / "dst").spec().init_from.source_hash, RunArtifact(tmp / "src").spec_hash());
  // step: init from a spec file never run: the source's initialisation.
  write_text(tmp / "other.yaml", source_spec("seed: 9\n").replace(0, 9, "name: other"));
  ASSERT_EQ(run_cli("run dst.yaml --out dst-init init_from.run=other.yaml init_from.step=init --threads 1 --no-plot "
                    "--quiet", tmp.path).code, 0);
  Experiment init = build_experiment(load_spec(tmp / "other.yaml"), Parts::kTaskAndModel);
  Experiment started_init = RunArtifact(tmp / "dst-init").model_at(0);
  for (const auto& p : started_init.model->named_parameters()) {
    EXPECT_TRUE(p.value().equal(init.model->named_parameters()[p.key()])) << p.key();
  }
}

TEST(RunArtifacts, InitFromBadSourcesExit2AndWriteNothing) {
  TempDir tmp;
  write_text(tmp / "src.yaml", source_spec());
  ASSERT_EQ(run_cli("run src.yaml --out src --threads 1 --no-plot --quiet", tmp.path).code, 0);
  write_text(tmp / "dst.yaml", "name: dst\ndevice: cpu\n"
                               "task: {type: modular_arithmetic, modulus: 11, train_fraction: 0.5}\n"
                               "model: {type: mlp, width: 32}\noptimizer: {type: adamw, lr: 0.01}\n"
                               "train: {steps: 20}\ninit_from: {run: src, step: 50}\n");
  CliResult no_step = run_cli("run dst.yaml --out dst", tmp.path);
  EXPECT_EQ(no_step.code, 2);
  EXPECT_NE(no_step.output.find("no checkpoint at step 50"), std::string::npos) << no_step.output;
  EXPECT_NE(no_step.output.find("0, 1, 4, 10, 32, 100, 120"), std::string::npos) << no_step.output;
  CliResult missing = run_cli("run dst.yaml --out dst init_from.run=nowhere", tmp.path);
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("init_from.run"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("does not exist"), std::string::npos) << missing.output;
  CliResult bad_step = run_cli("validate dst.yaml init_from.step=last", tmp.path);
  EXPECT_EQ(bad_step.code, 2);
  EXPECT_NE(bad_step.output.find("init_from.step"), std::string::npos) << bad_step.output;
  CliResult other = run_cli("run dst.yaml --out dst model.width=16 init_from.step=32", tmp.path);
  EXPECT_EQ(other.code, 2);
  // The tensor and both shapes are named.
  EXPECT_NE(other.output.find("'layers.0.bias' has shape [32] in the init_from run"), std::string::npos) << other.output;
  EXPECT_NE(other.output.find("but [16] in this run's model"), std::string::npos) << other.output;
  EXPECT_FALSE(fs::exists(tmp / "dst"));
}

}  // namespace
}  // namespace phenom::testing
