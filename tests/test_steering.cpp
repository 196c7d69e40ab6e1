// Steering vectors on a trained model (the vector by hand, the answer it moves to), and the
// ablation modes against hand-computed cases: projection out of given directions against random
// ones, one head zeroed against its W_O rows, resampling.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "analyze_helpers.h"
#include "cli_helpers.h"
#include "core/safetensors.h"
#include "models/model.h"
#include "run/artifact.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// The MLP's first-layer pre-activation is a sum of a row for a and a row for b, so the mean
// difference between the a = 5 and a = 3 examples is (nearly: the two groups' b differ in a few
// examples) the difference of the two a rows: added once, the model answers (5 + b) mod 11 where
// it answered (3 + b); not added, it never does.
TEST(Steering, MovesOneOperandOfATrainedModel) {
  TempDir tmp;
  std::string out;
  const auto rows = analyze_trained(tmp, kMlp,
                                    "  - {type: steering, hook: layers.0.hook_pre, attribute: a, from: 3, to: 5, "
                                    "alphas: [0, 1], set: train}\n",
                                    out);
  ASSERT_EQ(rows.size(), 1u);
  const Json& row = rows[0];
  const std::string p = "steering/layers.0.hook_pre/a/";
  EXPECT_GE(row[p + "alpha=0/acc"].get<double>(), 0.95) << row;
  EXPECT_LE(row[p + "alpha=0/to_acc"].get<double>(), 0.05) << row;
  EXPECT_GE(row[p + "alpha=1/to_acc"].get<double>(), 0.8) << row;
  EXPECT_LE(row[p + "alpha=1/acc"].get<double>(), 0.2) << row;
  EXPECT_GE(row[p + "matched"].get<double>(), 0.7 * row[p + "steered"].get<double>()) << row;
  // The kept vector is the mean difference, by hand.
  const torch::Tensor v = read_safetensors(out + "/" + row["tensors"].get<std::string>()).at(p + "vector");
  Experiment ex = RunArtifact(tmp / "run").model_at(150);
  const Batch& train = ex.task->train();
  torch::NoGradGuard no_grad;
  ex.model->hooks().capture("layers.0.hook_pre");
  ex.model->forward(train.inputs);
  const torch::Tensor h = ex.model->hooks().cached("layers.0.hook_pre");
  const torch::Tensor a = train.inputs.select(1, 0);
  const torch::Tensor by_hand = h.index({a == 5}).mean(0) - h.index({a == 3}).mean(0);
  EXPECT_TRUE(torch::allclose(v, by_hand, 1e-5, 1e-6));
  EXPECT_TRUE(fs::exists(out + "/plots/steering_0.steering_0.png"));  // the curve against alpha
  // An attribute the task lacks lists the task's; a position on a hook without positions is refused.
  expect_refused(tmp, "  - {type: steering, hook: layers.0.hook_pre, attribute: c}\n", "a, b, label");
  expect_refused(tmp, "  - {type: steering, hook: layers.0.hook_pre, attribute: a, from: 3, "
                      "to: 5, set: train, position: last}\n", "position: all");
}

// Projecting the readout's row space out of the last hidden layer leaves the readout bias alone:
// the loss is that of constant logits, by hand; as many random directions (11 of 32) cost less.
TEST(Ablation, ProjectsOutDirectionsAgainstRandomOnes) {
  TempDir tmp;
  write_text(tmp / "run.yaml", kMlp);
  ASSERT_EQ(run_cli("run run.yaml --out run --threads 1 --no-plot --quiet", tmp.path).code, 0);
  Experiment ex = RunArtifact(tmp / "run").model_at(150);
  const torch::Tensor readout = ex.model->named_parameters()["readout.weight"].detach();
  ASSERT_EQ(readout.sizes(), (std::vector<int64_t>{11, 32}));
  write_safetensors(tmp / "dirs.safetensors", {{"readout", readout}});
  write_text(tmp / "a.yaml", "analyses:\n  - {type: ablation, hooks: [layers.0.hook_post], mode: project, set: train, "
                             "directions: dirs.safetensors, key: readout}\n");
  CliResult r = run_cli("analyze run a.yaml --no-plot", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string out = fs::directory_iterator(tmp / "run/analyses")->path();
  const Json row = Json::parse(slurp(out + "/results.jsonl"));
  const Batch& train = ex.task->train();
  const torch::Tensor bias = ex.model->named_parameters()["readout.bias"].detach();
  const double constant = ex.task->score(Loss::kCrossEntropy, bias.expand({train.size(), 11}), train).loss;
  EXPECT_NEAR(row["ablation/layers.0.hook_post/loss"].get<double>(), constant, 1e-4) << row;
  EXPECT_GT(row["ablation/layers.0.hook_post/loss_increase"].get<double>(),
            row["ablation/layers.0.hook_post/random/loss_increase"].get<double>() + 0.5) << row;
  // A key the file lacks lists the file's; a width mismatch names both shapes.
  expect_refused(tmp, "  - {type: ablation, hooks: [layers.0.hook_post], mode: project, "
                      "directions: dirs.safetensors, key: nope}\n", "it has: readout");
  write_safetensors(tmp / "wide.safetensors", {{"readout", torch::zeros({2, 33})}});
  expect_refused(tmp, "  - {type: ablation, hooks: [layers.0.hook_post], mode: project, "
                      "directions: wide.safetensors, key: readout}\n", "[K, 32]");
}

// Zero-ablating one head's hook_z equals zeroing its rows of W_O by hand; resampling the MLP's
// hidden layer from other examples costs a trained model its accuracy; per_head on a hook without
// heads is refused.
TEST(Ablation, PerHeadAndResample) {
  TempDir tmp;
  std::string out;
  const auto rows = analyze_trained(tmp, kTransformer,
                                    "  - {type: ablation, hooks: [blocks.1.attn.hook_z], mode: zero, per_head: true, set: train}\n", out);
  ASSERT_EQ(rows.size(), 1u);
  const torch::Tensor heads = read_safetensors(out + "/" + rows[0]["tensors"].get<std::string>())
                                  .at("ablation/blocks.1.attn.hook_z/head_loss_increase").to(torch::kDouble);
  ASSERT_EQ(heads.size(0), 4);
  Experiment ex = RunArtifact(tmp / "run").model_at(150);
  const Batch& train = ex.task->train();
  torch::NoGradGuard no_grad;
  const double clean = ex.task->score(Loss::kCrossEntropy, ex.model->forward(train.inputs), train).loss;
  ex.model->named_parameters()["blocks.1.attn.W_O"].select(0, 2).zero_();
  const double removed = ex.task->score(Loss::kCrossEntropy, ex.model->forward(train.inputs), train).loss;
  EXPECT_NEAR(heads[2].item<double>(), removed - clean, 1e-5);
  expect_refused(tmp, "  - {type: ablation, hooks: [blocks.1.hook_resid_post], per_head: true}\n", "no head axis");

  TempDir mlp;
  const auto resampled = analyze_trained(mlp, kMlp, "  - {type: ablation, hooks: [layers.0.hook_post], mode: resample, set: train}\n", out);
  ASSERT_EQ(resampled.size(), 1u);
  EXPECT_GE(resampled[0]["ablation/clean/acc"].get<double>(), 0.95) << resampled[0];
  EXPECT_LE(resampled[0]["ablation/layers.0.hook_post/acc"].get<double>(), 0.3) << resampled[0];
  EXPECT_GT(resampled[0]["ablation/layers.0.hook_post/loss_increase"].get<double>(), 0.5) << resampled[0];
}

}  // namespace
}  // namespace phenom::testing
