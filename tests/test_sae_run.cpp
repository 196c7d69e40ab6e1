// An SAE trained as an ordinary run: the `activations` task serves a saved run's hook activations
// as rows, the `sae` model reconstructs them with its sparsity penalty in the objective, the
// `dictionary` probe judges it on held-out rows and in the source model, resume is exact, and
// `phenom analyze` exports it in SAELens' layout with the activation scale folded back in.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "analyze_helpers.h"
#include "cli_helpers.h"
#include "core/safetensors.h"
#include "models/model.h"
#include "models/sae_weights.h"
#include "probes/sae_math.h"
#include "run/artifact.h"
#include "tasks/activations_task.h"
#include "train/experiment.h"

namespace phenom::testing {
namespace {

using Json = nlohmann::json;

// (a + b) mod 23 on half the table, width-64 MLP: fits its training split in 300 steps.
const char* kSource =
    "name: source\ndevice: cpu\n"
    "task: {type: modular_arithmetic, modulus: 23, train_fraction: 0.5}\n"
    "model: {type: mlp, width: 64}\noptimizer: {type: adamw, lr: 0.01}\n"
    "train: {steps: 300, loss: cross_entropy, eval_every: 100}\n";

std::string sae_spec(const std::string& model) {
  return "name: sae\ndevice: cpu\n"
         "task: {type: activations, run: source, hook: layers.0.hook_post}\n"
         "model: {type: sae, expansion: 2, " + model + "}\n"
         "optimizer: {type: adam, lr: 0.003}\n"
         "train: {steps: 400, batch_size: 64, loss: mse, eval_every: 100, checkpoint_every: 200}\n"
         "probes: [{type: dictionary}, {type: dictionary, set: train}]\n";
}

Json last_row(const std::string& metrics) {
  Json row;
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) if (!line.empty()) row = Json::parse(line);
  return row;
}

struct Trained {
  TempDir tmp;
  Trained() {
    write_text(tmp / "source.yaml", kSource);
    EXPECT_EQ(run_cli("run source.yaml --out source --threads 1 --no-plot --quiet", tmp.path).code, 0);
  }
  Json run(const std::string& file, const std::string& model) {
    write_text(tmp / (file + ".yaml"), sae_spec(model));
    const CliResult r = run_cli("run " + file + ".yaml --out " + file + " --threads 1 --no-plot --quiet", tmp.path);
    EXPECT_EQ(r.code, 0) << r.output;
    return last_row(slurp(tmp / (file + "/metrics.jsonl")));
  }
};

// The rows are the source model's hook activations on its train and test sets, scaled to mean
// squared norm d_in; a larger l1 buys fewer active features with some reconstruction; TopK keeps
// at most k; a good SAE keeps the source model's loss (recovered near 1, zero ablation far worse).
// Measured (held-out EV / L0; train-half loss recovered): l1 0.05: 0.910 / 67.4, 0.998 (clean loss
// 0.004, zeroed 3.18); l1 2: 0.619 / 8.4, 0.578; k 4: 0.693 / 4.0, 0.650.
TEST(SaeRun, TrainsOnASavedRunsActivations) {
  Trained t;
  const Json light = t.run("light", "l1: 0.05");
  const Json heavy = t.run("heavy", "l1: 2");
  const Json topk = t.run("topk", "k: 4");
  const std::string p = "sae/test/";
  EXPECT_GT(light[p + "explained_variance"].get<double>(), 0.9) << light;
  // The source memorised its training half: its loss is judged there.
  EXPECT_GT(light["sae/train/loss_recovered"].get<double>(), 0.9) << light;
  EXPECT_GT(light["sae/train/loss_zero"].get<double>(), light["sae/train/loss_clean"].get<double>() + 0.5) << light;
  EXPECT_LT(heavy[p + "l0"].get<double>(), light[p + "l0"].get<double>()) << heavy;
  EXPECT_LT(heavy[p + "explained_variance"].get<double>(), light[p + "explained_variance"].get<double>()) << heavy;
  EXPECT_LE(topk[p + "l0"].get<double>(), 4.0) << topk;
  EXPECT_GT(topk[p + "explained_variance"].get<double>(), 0.5) << topk;
  EXPECT_EQ(light[p + "d_sae"].get<double>(), 128);
  // Modular arithmetic sources: the features' and the hook's units' spectra over the (a, b) table.
  ASSERT_TRUE(light.contains("sae/fourier/ipr_median")) << light;
  EXPECT_LE(light["sae/fourier/live"].get<double>(), 128);
  for (const char* key : {"sae/fourier/ipr_median", "sae/fourier/hook_ipr_median"}) {
    EXPECT_GT(light[key].get<double>(), 0.0) << key;
    EXPECT_LE(light[key].get<double>(), 1.0) << key;
  }

  const auto here = std::filesystem::current_path();
  std::filesystem::current_path(t.tmp.path);  // task.run is relative to the current directory
  Experiment sae = RunArtifact("light").model_at(400);
  std::filesystem::current_path(here);
  const auto& task = dynamic_cast<const ActivationsTask&>(*sae.task);
  Experiment source = RunArtifact(t.tmp / "source").model_at(300);
  torch::NoGradGuard no_grad;
  for (const char* set : {"train", "test"}) {
    source.model->hooks().capture("layers.0.hook_post");
    source.model->forward(source.task->split(set).inputs);
    const torch::Tensor h = source.model->hooks().cached("layers.0.hook_post");
    source.model->hooks().clear();
    EXPECT_TRUE(torch::allclose(task.split(set).inputs, h * task.scale(), 1e-6, 1e-6)) << set;
  }
  EXPECT_NEAR(task.train().inputs.pow(2).sum(1).mean().item<double>(), 64.0, 1e-3);
  const Json summary = Json::parse(slurp(t.tmp / "light/summary.json"));
  EXPECT_EQ(summary["data"]["source_step"], 300) << summary["data"];
  EXPECT_EQ(summary["data"]["d_in"], 64) << summary["data"];
}

// Stopped at step 100 and resumed, the run's metrics equal an uninterrupted one's byte for byte;
// `phenom analyze` exports weights that act on the raw activations (the scale folded in) and give
// the numbers the probe reported.
TEST(SaeRun, ResumesExactlyAndExportsSaelensLayout) {
  Trained t;
  write_text(t.tmp / "sae.yaml", sae_spec("l1: 0.3"));
  const std::string whole = reference_metrics(t.tmp, "sae.yaml");
  EXPECT_EQ(stopped_and_resumed_metrics(t.tmp, "sae.yaml", "parts", 100), whole);

  write_text(t.tmp / "a.yaml", "analyses:\n  - {type: dictionary}\n");
  const CliResult r = run_cli("analyze reference a.yaml --steps last --threads 1", t.tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string out = std::filesystem::directory_iterator(t.tmp / "reference/analyses")->path();
  const Json row = Json::parse(slurp(out + "/results.jsonl"));
  const Json reported = last_row(whole);
  EXPECT_EQ(row["sae/test/l0"], reported["sae/test/l0"]);
  const std::string dir = out + "/" + row["exports"].get<std::string>() + "/sae";
  const Json cfg = Json::parse(slurp(dir + "/cfg.json"));
  EXPECT_EQ(cfg["d_in"], 64);
  EXPECT_EQ(cfg["d_sae"], 128);
  EXPECT_EQ(cfg["hook_name"], "layers.0.hook_post");
  const auto w = read_safetensors(dir + "/sae_weights.safetensors");
  const SaeWeights exported{w.at("W_enc"), w.at("b_enc"), w.at("W_dec"), w.at("b_dec")};
  Experiment source = RunArtifact(t.tmp / "source").model_at(300);
  torch::NoGradGuard no_grad;
  source.model->hooks().capture("layers.0.hook_post");
  source.model->forward(source.task->test().inputs);
  const SaeFit raw = sae_fit(exported, source.model->hooks().cached("layers.0.hook_post"));
  EXPECT_NEAR(raw.l0, row["sae/test/l0"].get<double>(), 1e-6);
  EXPECT_NEAR(raw.explained_variance, row["sae/test/explained_variance"].get<double>(), 1e-4);
}

// Bad sources exit 2 before step 0, naming the key and what there is.
TEST(SaeRun, RefusesBadSources) {
  Trained t;
  auto refused = [&](const std::string& task, const std::string& expected) {
    write_text(t.tmp / "bad.yaml", "name: bad\ndevice: cpu\ntask: {type: activations, " + task + "}\n"
                                   "model: {type: sae}\noptimizer: {type: adam}\ntrain: {steps: 5, loss: mse}\n");
    const CliResult r = run_cli("run bad.yaml --out bad --threads 1 --no-plot --quiet", t.tmp.path);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << "expected '" << expected << "' in: " << r.output;
    EXPECT_FALSE(std::filesystem::exists(t.tmp / "bad/metrics.jsonl"));
  };
  refused("run: nowhere, hook: layers.0.hook_post", "task.run");
  refused("run: source, hook: layers.7.hook_post", "layers.0.hook_post");        // lists the hooks
  refused("run: source, hook: layers.0.hook_post, step: 150", "it has steps 0, 300");  // lists the steps
  refused("run: source, hook: layers.0.hook_post, set: fresh", "train, test");   // lists the sets
  // The dictionary probe reads SAE runs only.
  write_text(t.tmp / "probe.yaml", std::string(kSource) + "probes: [{type: dictionary}]\n");
  const CliResult r = run_cli("run probe.yaml --out probe --threads 1 --no-plot --quiet", t.tmp.path);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("activations"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace phenom::testing
