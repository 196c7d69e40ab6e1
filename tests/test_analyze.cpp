// `phenom analyze`: instruments on saved checkpoints (PCA on a constructed case), the analysis
// directory (hashed, resumable, never touching the run), safetensors, and bad input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "analyze_helpers.h"
#include "cli_helpers.h"
#include "core/safetensors.h"
#include "models/model.h"
#include "probes/cka_math.h"
#include "probes/probe.h"
#include "run/artifact.h"
#include "spec/spec.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom {
std::unique_ptr<Probe> build_pca(const ProbeOptions&, BuildContext&);
}

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const char* kRun =
    "name: src\ndevice: cpu\n"
    "task: {type: modular_arithmetic, modulus: 11, train_fraction: 0.5}\n"
    "model: {type: mlp, width: 32}\noptimizer: {type: adamw, lr: 0.01}\n"
    "train: {steps: 120, loss: cross_entropy, eval_every: 20, checkpoint_every: {per_decade: 2}}\n";

// kRun trained in `tmp`, then `analyses` run on its last checkpoint.
std::vector<Json> analyze_last(TempDir& tmp, const std::string& analyses, std::string& out) {
  return analyze_trained(tmp, kRun, analyses, out);
}

TEST(Pca, RecoversTheVariancesOfAConstructedActivation) {
  const Spec spec = load_spec_text(kRun);
  Experiment ex = build_experiment(spec);
  const int64_t n = ex.task->test().size(), width = 32;
  // Activations with variances 9, 4, 1 along three orthonormal directions, exactly.
  torch::Generator g = at::detail::createCPUGenerator(3);
  torch::Tensor z = torch::randn({n, 3}, g, torch::kDouble);
  z = z - z.mean(0, true);
  z = std::get<0>(torch::linalg::qr(z)) * std::sqrt(static_cast<double>(n - 1));
  const torch::Tensor directions = std::get<0>(torch::linalg::qr(torch::randn({width, 3}, g, torch::kDouble))).t();
  const torch::Tensor x = (z * torch::tensor({3.0, 2.0, 1.0}, torch::kDouble)).matmul(directions) + 5.0;
  ex.model->hooks().intervene("layers.0.hook_post", {Intervention::Kind::kReplace, x.to(torch::kFloat), {}});
  auto options = find_entry(probe_registry(), "pca")->make_options();
  Spec with_hook = load_spec_text(std::string(kRun) + "probes: [{type: pca, hook: layers.0.hook_post, components: 4}]\n");
  BuildContext context(with_hook, torch::kCPU);
  auto pca = build_pca(*with_hook.probes.back().options, context);
  std::map<std::string, torch::Tensor> tensors;
  ProbeContext c{*ex.model, *ex.task, spec, 0, 0.0, &tensors};
  MetricRow row;
  pca->measure(c, row);
  const std::string p = "pca/layers.0.hook_post/";
  EXPECT_NEAR(*row.find(p + "explained/1"), 9.0 / 14, 1e-5);
  EXPECT_NEAR(*row.find(p + "explained/2"), 4.0 / 14, 1e-5);
  EXPECT_NEAR(*row.find(p + "explained/3"), 1.0 / 14, 1e-5);
  EXPECT_NEAR(*row.find(p + "explained/4"), 0.0, 1e-6);
  EXPECT_NEAR(*row.find(p + "participation_ratio"), 196.0 / 98, 1e-4);
  EXPECT_EQ(*row.find(p + "dims_90"), 2.0);
  // The components span the constructed directions; the coordinates have the variances.
  const torch::Tensor components = tensors.at(p + "components").to(torch::kDouble).slice(0, 0, 3);
  EXPECT_NEAR(components.matmul(directions.t()).abs().sum(1).sub(1).abs().max().item<double>(), 0.0, 1e-4);
  const torch::Tensor variance = tensors.at(p + "coordinates").to(torch::kDouble).var(0).slice(0, 0, 3);
  EXPECT_TRUE(torch::allclose(variance, torch::tensor({9.0, 4.0, 1.0}, torch::kDouble), 1e-4, 1e-4)) << variance;
}

// Linear CKA is 1 for a representation and any rotation and rescaling of it, near 0 for an
// independent one (E[CKA] ~ sqrt(p q) / N = 0.016 here; seen 0.02-0.03), and the Gram form (N
// below the widths) equals the feature form.
TEST(Cka, InvariantToRotationAndScaleNearZeroForIndependentFeatures) {
  torch::manual_seed(7);
  const torch::Tensor x = torch::randn({500, 8}, torch::kDouble);
  const torch::Tensor q = std::get<0>(torch::linalg::qr(torch::randn({8, 8}, torch::kDouble), "reduced"));
  EXPECT_NEAR(linear_cka(x, 3.0 * x.matmul(q) + 2.0), 1.0, 1e-10);
  EXPECT_LT(linear_cka(x, torch::randn({500, 8}, torch::kDouble)), 0.1);
  const torch::Tensor a = torch::randn({20, 30}, torch::kDouble), b = a.slice(1, 0, 10) + 0.5 * torch::randn({20, 10}, torch::kDouble);
  const torch::Tensor ac = a - a.mean(0, true), bc = b - b.mean(0, true);
  const double feature = bc.t().matmul(ac).pow(2).sum().item<double>() /
                         std::sqrt(ac.t().matmul(ac).pow(2).sum().item<double>() * bc.t().matmul(bc).pow(2).sum().item<double>());
  EXPECT_NEAR(linear_cka(a, b), feature, 1e-10);
  EXPECT_GT(feature, 0.2);
  EXPECT_LT(feature, 1.0);
}

// RBF CKA is also 1 under rotation, isotropic scale and translation (sigma follows the median
// distance), lower for independent features, and tends to linear CKA as sigma grows.
TEST(Cka, RbfKernelInvariancesAndItsLinearLimit) {
  torch::manual_seed(8);
  const torch::Tensor x = torch::randn({300, 6}, torch::kDouble);
  const torch::Tensor q = std::get<0>(torch::linalg::qr(torch::randn({6, 6}, torch::kDouble), "reduced"));
  EXPECT_NEAR(rbf_cka(x, 2.5 * x.matmul(q) - 1.0, 0.4), 1.0, 1e-10);
  EXPECT_LT(rbf_cka(x, torch::randn({300, 6}, torch::kDouble), 0.4), 0.2);
  const torch::Tensor y = x.slice(1, 0, 3) + 0.7 * torch::randn({300, 3}, torch::kDouble);
  EXPECT_NEAR(rbf_cka(x, y, 100.0), linear_cka(x, y), 1e-3);
  EXPECT_GT(std::abs(rbf_cka(x, y, 0.2) - linear_cka(x, y)), 1e-3);  // a small sigma is another measure
}

// As an analysis of a checkpoint: every pair of hooks, a hook against itself exactly 1, and the
// symmetric matrix kept.
TEST(Cka, PairsOfHooksOnACheckpoint) {
  TempDir tmp;
  std::string out;
  const auto rows = analyze_last(tmp, "  - {type: cka, hooks: [layers.0.hook_pre, layers.0.hook_post, layers.0.hook_pre]}\n", out);
  ASSERT_EQ(rows.size(), 1u);
  const Json& row = rows[0];
  EXPECT_NEAR(row["cka/layers.0.hook_pre/layers.0.hook_pre"].get<double>(), 1.0, 1e-9);
  const double pre_post = row["cka/layers.0.hook_pre/layers.0.hook_post"].get<double>();
  EXPECT_GT(pre_post, 0.0);
  EXPECT_LT(pre_post, 1.0 - 1e-6);
  const torch::Tensor m = read_safetensors(out + "/" + row["tensors"].get<std::string>()).at("cka/matrix");
  EXPECT_TRUE(m.equal(m.t()));
  EXPECT_NEAR(m[0][1].item<double>(), pre_post, 1e-6);
  expect_refused(tmp, "  - {type: cka, hooks: [layers.0.hook_pre]}\n", "analyses.0.hooks");
}

// Ablations on a trained checkpoint: mean-ablating the whole hidden layer makes every example's
// output the same, so the model loses what it learned (loss up, accuracy down); zero-ablating one
// hidden unit equals removing its readout column by hand; the per-unit table is kept.
TEST(Ablation, WholeLayerAndPerUnitOnACheckpoint) {
  TempDir tmp;
  std::string out;
  const auto rows = analyze_last(tmp, "  - {type: ablation, hooks: [layers.0.hook_post], set: train}\n"
                                      "  - {type: ablation, hooks: [layers.0.hook_post], mode: zero, set: train, per_unit: true}\n",
                                 out);
  ASSERT_EQ(rows.size(), 2u);
  const Json& mean = rows[0];
  EXPECT_GT(mean["ablation/clean/acc"].get<double>(), 0.9) << mean;
  EXPECT_GT(mean["ablation/layers.0.hook_post/loss_increase"].get<double>(), 0.5) << mean;
  EXPECT_LT(mean["ablation/layers.0.hook_post/acc"].get<double>(), 0.3) << mean;
  const torch::Tensor units = read_safetensors(out + "/" + rows[1]["tensors"].get<std::string>())
                                  .at("ablation/layers.0.hook_post/unit_loss_increase").to(torch::kDouble);
  ASSERT_EQ(units.size(0), 32);
  // Unit 5 by hand: the same checkpoint with readout.weight[:, 5] = 0.
  Experiment ex = RunArtifact(tmp / "run").model_at(120);
  const Batch* train = ex.task->eval_set("train");
  torch::NoGradGuard no_grad;
  const double clean = ex.task->score(Loss::kCrossEntropy, ex.model->forward(train->inputs), *train).loss;
  ex.model->named_parameters()["readout.weight"].select(1, 5).zero_();
  const double removed = ex.task->score(Loss::kCrossEntropy, ex.model->forward(train->inputs), *train).loss;
  EXPECT_NEAR(units[5].item<double>(), removed - clean, 1e-5);
  EXPECT_NEAR(rows[1]["ablation/layers.0.hook_post/top_unit_loss_increase"].get<double>(), units.max().item<double>(), 1e-6);
}

// A linear probe reads operand a from the first layer's pre-activations, which are a sum of one
// embedding row for a and one for b (22 generic vectors in 32 dimensions, so a is exactly
// linearly decodable): held-out accuracy ~1, while the same probe on shuffled values stays near
// chance (1/11). An attribute the task lacks is an error listing the task's.
TEST(LinearProbe, DecodesAnOperandAndBeatsItsShuffledControl) {
  TempDir tmp;
  std::string out;
  const auto rows = analyze_last(tmp, "  - {type: linear_probe, hook: layers.0.hook_pre, attribute: a, set: train}\n", out);
  ASSERT_EQ(rows.size(), 1u);
  const Json& row = rows[0];
  const std::string p = "linear_probe/layers.0.hook_pre/a/";
  EXPECT_GE(row[p + "acc"].get<double>(), 0.9) << row;
  EXPECT_LE(row[p + "control_acc"].get<double>(), 0.4) << row;
  EXPECT_GE(row[p + "selectivity"].get<double>(), 0.5) << row;
  const torch::Tensor w = read_safetensors(out + "/" + row["tensors"].get<std::string>()).at(p + "weights");
  EXPECT_EQ(w.size(0), 33);  // 32 units and the bias
  EXPECT_EQ(w.size(1), 11);
  expect_refused(tmp, "  - {type: linear_probe, hook: layers.0.hook_pre, attribute: c}\n", "a, b, label");
}

// The hessian instrument on a checkpoint measures exactly what the run's own hessian probe measured
// at that step (same start vector from (seed, step), same threshold from the schedule's lr), and
// its final analysis (the spectral density) goes to the analysis summary.
TEST(Analyze, HessianOnACheckpointRepeatsTheRunsOwnMeasurement) {
  TempDir tmp;
  write_text(tmp / "run.yaml", "name: h\ndevice: cpu\ntask: {type: modular_arithmetic, modulus: 7, train_fraction: 0.5}\n"
                               "model: {type: mlp, width: 8, activation: tanh}\noptimizer: {type: sgd, lr: 0.2, momentum: 0.5}\n"
                               "schedule: {type: cosine, warmup_steps: 5}\n"
                               "train: {steps: 20, loss: half_sse, eval_every: 10, checkpoint_every: 10}\n"
                               "probes: [{type: hessian, every: 10, top_k: 2}]\n");
  ASSERT_EQ(run_cli("run run.yaml --out run --threads 1 --no-plot --quiet", tmp.path).code, 0);
  write_text(tmp / "a.yaml", "analyses:\n  - {type: hessian, top_k: 2, density_steps: 10, density_vectors: 2}\n");
  CliResult r = run_cli("analyze run a.yaml --steps 10 --threads 1", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string out = fs::directory_iterator(tmp / "run/analyses")->path();
  std::ifstream in(out + "/results.jsonl");
  Json analysed = Json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
  std::ifstream metrics(tmp / "run/metrics.jsonl");
  Json trained;
  for (std::string line; std::getline(metrics, line);) {
    Json row = Json::parse(line);
    if (row["step"] == 10) trained = row;
  }
  for (const char* key : {"hessian/lambda_1", "hessian/lambda_2", "hessian/threshold"}) {
    EXPECT_DOUBLE_EQ(analysed[key].get<double>(), trained[key].get<double>()) << key;
  }
  const Json summary = Json::parse(slurp(out + "/summary.json"));
  const Json& density = summary["analyses"]["0.hessian"]["summary"]["density"];
  ASSERT_EQ(density["weights"].size(), 2u) << summary.dump();
  double total = 0;
  for (const auto& w : density["weights"][0]) total += w.get<double>();
  EXPECT_NEAR(total, 1.0, 1e-9);
}

TEST(Safetensors, RoundTripsWithTheDocumentedLayout) {
  TempDir tmp;
  std::map<std::string, torch::Tensor> t = {{"W_enc", torch::arange(6, torch::kFloat).reshape({2, 3})},
                                            {"steps", torch::tensor({1, 10}, torch::kLong)}};
  write_safetensors(tmp / "a.safetensors", t, {{"run", "x"}});
  const std::string bytes = slurp(tmp / "a.safetensors");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  const Json header = Json::parse(bytes.substr(8, length));
  EXPECT_EQ(header["W_enc"]["dtype"], "F32");
  EXPECT_EQ(header["W_enc"]["shape"], Json::parse("[2, 3]"));
  EXPECT_EQ(header["__metadata__"]["run"], "x");
  EXPECT_EQ((8 + length) % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + length + 6 * 4 + 2 * 8);
  const auto back = read_safetensors(tmp / "a.safetensors");
  EXPECT_TRUE(back.at("W_enc").equal(t["W_enc"]));
  EXPECT_TRUE(back.at("steps").equal(t["steps"]));
}

TEST(Analyze, InstrumentsOnEveryCheckpointHashedResumableAndApartFromTheRun) {
  TempDir tmp;
  write_text(tmp / "run.yaml", kRun);
  ASSERT_EQ(run_cli("run run.yaml --out run --threads 1 --no-plot --quiet", tmp.path).code, 0);
  const std::string metrics = slurp(tmp / "run/metrics.jsonl");
  write_text(tmp / "views.yaml", "steps: all\nanalyses:\n  - {type: loss_accuracy}\n"
                                 "  - {type: pca, hook: layers.0.hook_post, components: 3}\n");
  CliResult r = run_cli("analyze run views.yaml", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(std::distance(fs::directory_iterator(tmp / "run/analyses"), fs::directory_iterator()), 1);
  const std::string out = fs::directory_iterator(tmp / "run/analyses")->path();
  EXPECT_EQ(fs::path(out).filename().string().rfind("views-", 0), 0u);
  for (const char* f : {"analysis.yaml", "results.jsonl", "summary.json", "DONE"}) EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  // The PCA and t-SNE views of the last step, coloured by the kept labels.
  EXPECT_TRUE(fs::exists(out + "/plots/views_1.pca_layers.0.hook_post.png")) << r.output;
  // One row per checkpoint x analysis: steps 0, 1, 4, 10, 32, 100, 120.
  std::vector<Json> rows;
  std::ifstream in(out + "/results.jsonl");
  for (std::string line; std::getline(in, line);) rows.push_back(Json::parse(line));
  ASSERT_EQ(rows.size(), 14u);
  // loss_accuracy on a checkpoint equals what the run logged at that step (step 100 and 120).
  Json logged;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) if (Json::parse(line)["step"] == 120) logged = Json::parse(line);
  ASSERT_TRUE(logged.contains("test/acc"));
  for (const auto& row : rows) {
    if (row["step"] == 120 && row["analysis"] == "0.loss_accuracy") {
      EXPECT_DOUBLE_EQ(row["test/acc"].get<double>(), logged["test/acc"].get<double>());
      EXPECT_NEAR(row["train/loss"].get<double>(), logged["train/loss"].get<double>(), 1e-6);
    }
    if (row["analysis"] == "1.pca") {
      const auto tensors = read_safetensors(out + "/" + row["tensors"].get<std::string>());
      const torch::Tensor v = tensors.at("pca/layers.0.hook_post/components").to(torch::kDouble);
      EXPECT_TRUE(torch::allclose(v.matmul(v.t()), torch::eye(3, torch::kDouble), 1e-4, 1e-4));
    }
  }
  const Json summary = Json::parse(slurp(out + "/summary.json"));
  EXPECT_EQ(summary["steps"].size(), 7u);
  EXPECT_TRUE(summary["analyses"]["1.pca"]["final"].contains("pca/layers.0.hook_post/participation_ratio"));
  // Re-running is a no-op; the run's own files are untouched.
  const std::string results = slurp(out + "/results.jsonl");
  CliResult again = run_cli("analyze run views.yaml --steps 4,10", tmp.path);
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.output.find("already complete"), std::string::npos) << again.output;
  EXPECT_EQ(slurp(out + "/results.jsonl"), results);
  EXPECT_EQ(slurp(tmp / "run/metrics.jsonl"), metrics);
  // The same instrument as a probe during training measures what the analysis measured on the checkpoint.
  write_text(tmp / "probed.yaml", std::string(kRun) + "probes: [{type: pca, hook: layers.0.hook_post, components: 3, every: 60}]\n");
  ASSERT_EQ(run_cli("run probed.yaml --out probed --threads 1 --no-plot --quiet", tmp.path).code, 0);
  Json probed;
  std::ifstream probed_lines(tmp / "probed/metrics.jsonl");
  for (std::string line; std::getline(probed_lines, line);) if (Json::parse(line)["step"] == 120) probed = Json::parse(line);
  const std::string ratio = "pca/layers.0.hook_post/participation_ratio";
  ASSERT_TRUE(probed.contains(ratio));
  for (const auto& row : rows) {
    if (row["step"] == 120 && row["analysis"] == "1.pca") EXPECT_NEAR(row[ratio].get<double>(), probed[ratio].get<double>(), 1e-6);
  }
  // Another option is another directory.
  ASSERT_EQ(run_cli("analyze run views.yaml analyses.1.components=2 --steps last", tmp.path).code, 0);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp / "run/analyses"), fs::directory_iterator()), 2);
}

TEST(Analyze, BadInputExits2AndWritesNothing) {
  TempDir tmp;
  write_text(tmp / "run.yaml", kRun);
  ASSERT_EQ(run_cli("run run.yaml --out run --threads 1 --no-plot --quiet", tmp.path).code, 0);
  write_text(tmp / "a.yaml", "analyses:\n  - {type: pca, hook: blocks.0.hook_resid_post}\n");
  CliResult hook = run_cli("analyze run a.yaml", tmp.path);
  EXPECT_EQ(hook.code, 2);
  EXPECT_NE(hook.output.find("layers.0.hook_post"), std::string::npos) << hook.output;  // the model's hooks listed
  CliResult step = run_cli("analyze run a.yaml analyses.0.hook=layers.0.hook_post --steps 50", tmp.path);
  EXPECT_EQ(step.code, 2);
  EXPECT_NE(step.output.find("0, 1, 4, 10, 32, 100, 120"), std::string::npos) << step.output;
  write_text(tmp / "b.yaml", "analyses:\n  - {type: grad_norm}\n  - {type: pca, hook: x, compnents: 3}\n");
  CliResult spec = run_cli("analyze run b.yaml", tmp.path);
  EXPECT_EQ(spec.code, 2);
  EXPECT_NE(spec.output.find("b.yaml:2:"), std::string::npos) << spec.output;  // grad_norm: training only
  EXPECT_NE(spec.output.find("b.yaml:3:"), std::string::npos) << spec.output;  // the misspelt key
  EXPECT_NE(spec.output.find("did you mean 'components'"), std::string::npos) << spec.output;
  CliResult not_run = run_cli("analyze . a.yaml", tmp.path);
  EXPECT_EQ(not_run.code, 2);
  EXPECT_NE(not_run.output.find("neither a run directory"), std::string::npos) << not_run.output;
  EXPECT_FALSE(fs::exists(tmp / "run/analyses"));
}

}  // namespace
}  // namespace phenom::testing
