// Lottery tickets: magnitude pruning and its density bookkeeping, the imp protocol end to end
// (rewind, masks held, controls, resume after kill -9), and its bad input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "core/safetensors.h"
#include "models/model.h"
#include "protocols/pruning.h"
#include "run/artifact.h"
#include "train/experiment.h"

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::map<std::string, torch::Tensor> lenet_weights() {
  torch::Generator g = at::detail::createCPUGenerator(1);
  return {{"layers.0.weight", torch::randn({300, 784}, g)},
          {"layers.1.weight", torch::randn({100, 300}, g)},
          {"readout.weight", torch::randn({10, 100}, g)}};
}

TEST(Pruning, LayerwiseDensitiesFollowTheFormula) {
  const auto weights = lenet_weights();
  PruneRule rule{{"layers.0.weight", "layers.1.weight", "readout.weight"}, false, 0.2, 0.1};
  Masks masks = full_masks(weights, rule);
  // Frankle & Carbin's density points for LeNet-300-100 after 3, 7, 12 and 15 rounds.
  const std::map<int, double> published = {{3, 0.513}, {7, 0.211}, {12, 0.070}, {15, 0.036}};
  for (int k = 1; k <= 15; ++k) {
    const Masks before = masks;
    masks = magnitude_prune(weights, masks, rule);
    const double formula = (265200 * std::pow(0.8, k) + 1000 * std::pow(0.9, k)) / 266200;
    EXPECT_NEAR(density(masks), formula, 1e-4) << "round " << k;
    if (published.count(k)) EXPECT_NEAR(density(masks), published.at(k), 0.0005) << "round " << k;
    for (const auto& [name, mask] : masks) {
      EXPECT_TRUE(mask.le(before.at(name)).all().item<bool>()) << "a pruned weight came back in " << name;
      // The survivors are the largest of the previous survivors.
      const torch::Tensor w = weights.at(name).abs();
      const torch::Tensor dropped = mask.eq(0).logical_and(before.at(name).eq(1));
      if (dropped.any().item<bool>()) {
        EXPECT_LE(w.masked_select(dropped).max().item<float>(), w.masked_select(mask.eq(1)).min().item<float>());
      }
    }
  }
}

TEST(Pruning, GlobalSparesTheOutputLayerAndRandomMasksKeepCounts) {
  const auto weights = lenet_weights();
  PruneRule rule{{"layers.0.weight", "layers.1.weight", "readout.weight"}, true, 0.2, 0.1};
  Masks masks = magnitude_prune(weights, full_masks(weights, rule), rule);
  EXPECT_EQ(masks.at("readout.weight").sum().item<double>(), 1000.0);
  const double pool = masks.at("layers.0.weight").sum().item<double>() + masks.at("layers.1.weight").sum().item<double>();
  EXPECT_EQ(pool, std::llround(0.8 * 265200));
  torch::Generator g = at::detail::createCPUGenerator(5);
  const Masks random = random_masks(masks, g);
  for (const auto& [name, mask] : masks) {
    EXPECT_EQ(random.at(name).sum().item<double>(), mask.sum().item<double>()) << name;
    if (name != "readout.weight") EXPECT_FALSE(random.at(name).equal(mask)) << name;
  }
}

// The weights alone are built from the task's options without its data: the same initialisation.
TEST(ModelOnlyBuild, SameInitialisationAsTheFullBuild) {
  for (const char* spec : {"device: cpu\ntask: {type: fashion_mnist, n_train: 100, n_test: 100}\nmodel: {type: mlp, widths: [30, 10]}\n"
                           "optimizer: {type: sgd, lr: 0.1}\n",
                           "device: cpu\ntask: {type: modular_arithmetic, modulus: 11}\nmodel: {type: transformer, d_model: 16, "
                           "n_heads: 2, d_head: 8, d_mlp: 32}\noptimizer: {type: adamw, lr: 0.01}\n",
                           "device: cpu\ntask: {type: icl_regression, dim: 3, n_points: 5}\nmodel: {type: transformer, n_layers: 1, "
                           "d_model: 16, n_heads: 2, d_head: 8, layer_norm: true, activation: gelu}\noptimizer: {type: adam, lr: 0.001}\n"
                           "train: {loss: mse, batch_size: 8}\n"}) {
    const Spec s = load_spec_text(spec);
    Experiment full = build_experiment(s), model = build_experiment(s, Parts::kModel);
    EXPECT_FALSE(model.task);
    for (const auto& p : full.model->named_parameters()) {
      EXPECT_TRUE(p.value().equal(model.model->named_parameters()[p.key()])) << spec << p.key();
    }
  }
}

// A small protocol: LeNet-300-100 on 1,000 Fashion-MNIST images, 3 rounds, both controls at 2.
const char* kProtocol =
    "name: lt\nseed: 0\ndevice: cpu\n"
    "task: {type: fashion_mnist, n_train: 1000, n_test: 500, n_val: 500}\n"
    "model: {type: mlp, widths: [300, 100]}\noptimizer: {type: sgd, lr: 0.1, momentum: 0.9, weight_decay: 1.0e-4}\n"
    "train: {steps: 150, batch_size: 64, loss: cross_entropy, eval_every: 25}\n"
    "protocol: {type: imp, rounds: 3, rewind: 25, random_reinit: [2], random_prune: [2]}\n"
    "expect: {imp.density_error_max: '<= 0.001'}\n";

TEST(ImpProtocol, RoundsRewindHoldTheirMasksAndReport) {
  TempDir tmp;
  write_text(tmp / "lt.yaml", kProtocol);
  CliResult r = run_cli("run lt.yaml --out lt --threads 1", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const Json summary = Json::parse(slurp(tmp / "lt/summary.json"));
  ASSERT_EQ(summary["rounds"].size(), 4u);
  for (const auto& row : summary["rounds"]) {
    EXPECT_NEAR(row["density"].get<double>(), row["formula_density"].get<double>(), 1e-3) << row;
    EXPECT_TRUE(row.contains("early_stop_step")) << row;
  }
  EXPECT_TRUE(summary["rounds"][2].contains("random_reinit_acc"));
  EXPECT_TRUE(summary["rounds"][2].contains("random_prune_acc"));
  // Round 2 starts from the dense run's step-25 weights, with round 2's mask applied.
  const Masks mask = read_safetensors(tmp / "lt/masks/round_2.safetensors");
  Experiment rewound = RunArtifact(tmp / "lt/round_0").model_at(25);
  Experiment start = RunArtifact(tmp / "lt/round_2").model_at(0);
  Experiment end = RunArtifact(tmp / "lt/round_2").model_at(150);
  for (const auto& p : start.model->named_parameters()) {
    torch::Tensor expected = rewound.model->named_parameters()[p.key()];
    if (mask.count(p.key())) expected = expected * mask.at(p.key());
    EXPECT_TRUE(p.value().equal(expected)) << p.key();
    if (mask.count(p.key())) {  // held at zero through 150 steps of SGD with momentum and weight decay
      const torch::Tensor trained = end.model->named_parameters()[p.key()];
      EXPECT_EQ(trained.masked_select(mask.at(p.key()).eq(0)).abs().max().item<float>(), 0.0f) << p.key();
    }
  }
  // The random re-initialisation control starts from other weights, with the same mask.
  Experiment reinit = RunArtifact(tmp / "lt/round_2_random_reinit").model_at(0);
  EXPECT_FALSE(reinit.model->named_parameters()["layers.1.weight"].equal(start.model->named_parameters()["layers.1.weight"]));
  EXPECT_TRUE(fs::exists(tmp / "lt/plots/lottery.png")) << r.output;  // setup.sh installs matplotlib
  // Running it again reports the finished rounds instead of retraining them.
  const std::string metrics = slurp(tmp / "lt/round_3/metrics.jsonl");
  CliResult again = run_cli("run lt.yaml --out lt --threads 1", tmp.path);
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(slurp(tmp / "lt/round_3/metrics.jsonl"), metrics);
  // So does the protocol directory moved elsewhere: its rounds are addressed by content, not by path.
  fs::rename(tmp / "lt", tmp / "moved");
  CliResult moved = run_cli("run lt.yaml --out moved --threads 1", tmp.path);
  EXPECT_EQ(moved.code, 0) << moved.output;
  EXPECT_EQ(slurp(tmp / "moved/round_3/metrics.jsonl"), metrics) << moved.output;
}

TEST(ImpProtocol, KilledProtocolResumesToIdenticalRounds) {
  TempDir tmp;
  write_text(tmp / "lt.yaml", kProtocol);
  ASSERT_EQ(run_cli("run lt.yaml --out reference --threads 1 --quiet", tmp.path).code, 0);
  // Kill -9 once round 2 has logged a few rows, then run the same command again.
  pid_t pid = spawn_phenom(tmp.path, {"run", "lt.yaml", "--out", "resumed", "--threads", "1"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = slurp(tmp / "resumed/round_2/metrics.jsonl");
    if (std::count(text.begin(), text.end(), '\n') >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_FALSE(fs::exists(tmp / "resumed/round_2/DONE"));
  ASSERT_EQ(run_cli("run lt.yaml --out resumed --threads 1 --quiet", tmp.path).code, 0);
  for (const char* round : {"round_0", "round_1", "round_2", "round_2_random_reinit", "round_2_random_prune", "round_3"}) {
    EXPECT_EQ(slurp(tmp / ("resumed/" + std::string(round) + "/metrics.jsonl")),
              slurp(tmp / ("reference/" + std::string(round) + "/metrics.jsonl")))
        << round;
  }
}

TEST(ImpProtocol, BadInputExits2BeforeAnythingRuns) {
  TempDir tmp;
  write_text(tmp / "lt.yaml", kProtocol);
  for (const std::string& bad : {std::string("protocol.prune_fraction=1.0"), std::string("protocol.rewind=500"),
                                 std::string("protocol.rounds=200"), std::string("protocol.random_reinit=[9]")}) {
    CliResult r = run_cli("run lt.yaml --out lt " + bad, tmp.path);
    EXPECT_EQ(r.code, 2) << bad << "\n" << r.output;
    EXPECT_NE(r.output.find("protocol."), std::string::npos) << bad << "\n" << r.output;
    EXPECT_FALSE(fs::exists(tmp / "lt/round_0/metrics.jsonl")) << bad;
  }
  // A mask naming a parameter the model lacks.
  write_safetensors(tmp / "m.safetensors", {{"layers.7.weight", torch::ones({2, 2})}});
  write_text(tmp / "masked.yaml", "device: cpu\ntask: {type: modular_arithmetic, modulus: 11}\nmodel: {type: mlp, width: 8}\n"
                                  "optimizer: {type: sgd, lr: 0.1}\nmask: m.safetensors\n");
  CliResult masked = run_cli("run masked.yaml --out masked", tmp.path);
  EXPECT_EQ(masked.code, 2) << masked.output;
  EXPECT_NE(masked.output.find("layers.0.weight"), std::string::npos) << masked.output;  // its parameters listed
  EXPECT_FALSE(fs::exists(tmp / "masked"));
}

// train.order_seed reorders the batches and nothing else: the same initial weights, other metrics;
// set to the spec's seed it is the default, byte for byte.
TEST(OrderSeed, ChangesTheBatchOrderAlone) {
  TempDir tmp;
  write_text(tmp / "s.yaml", "name: o\nseed: 3\ndevice: cpu\ntask: {type: modular_arithmetic, modulus: 11}\n"
                             "model: {type: mlp, width: 16}\noptimizer: {type: sgd, lr: 0.5}\n"
                             "train: {steps: 40, batch_size: 16, eval_every: 10, checkpoint_every: 40}\n");
  for (const char* run : {"plain", "same", "other"}) {
    const std::string extra = std::string(run) == "same" ? " train.order_seed=3" : std::string(run) == "other" ? " train.order_seed=4" : "";
    ASSERT_EQ(run_cli("run s.yaml --quiet --no-plot --threads 1 --out " + std::string(run) + extra, tmp.path).code, 0);
  }
  EXPECT_EQ(slurp(tmp / "same/metrics.jsonl"), slurp(tmp / "plain/metrics.jsonl"));
  EXPECT_NE(slurp(tmp / "other/metrics.jsonl"), slurp(tmp / "plain/metrics.jsonl"));
  Experiment a = RunArtifact(tmp / "plain").model_at(0), b = RunArtifact(tmp / "other").model_at(0);
  for (const auto& p : a.model->named_parameters()) EXPECT_TRUE(p.value().equal(b.model->named_parameters()[p.key()]));
}

// A test-sized LMC protocol on Fashion-MNIST: copies from step 20 of a parent run.
const char* kLmc =
    "name: lmc\nseed: 0\ndevice: cpu\n"
    "task: {type: fashion_mnist, n_train: 1000, n_test: 500}\n"
    "model: {type: mlp, widths: [64, 32]}\noptimizer: {type: sgd, lr: 0.1}\n"
    "train: {steps: 120, batch_size: 64, loss: cross_entropy, eval_every: 40}\n"
    "protocol: {type: linear_mode_connectivity, rewind: 20, alphas: 5, order_seeds: [1, 2]}\n"
    "expect: {linear_mode_connectivity.instability.test: '>= 0'}\n";

// The copies start from the parent's step-20 weights and end apart; the path's endpoints are the
// copies themselves (their logged final test error), and the instability is the path's maximum
// minus the endpoints' mean.
TEST(LinearModeConnectivity, CopiesFromTheRewindPointAndThePathBetweenThem) {
  TempDir tmp;
  write_text(tmp / "lmc.yaml", kLmc);
  CliResult r = run_cli("run lmc.yaml --out lmc --threads 1", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  Experiment parent = RunArtifact(tmp / "lmc/parent").model_at(20);
  Experiment a0 = RunArtifact(tmp / "lmc/copy_lmc_1").model_at(0), b0 = RunArtifact(tmp / "lmc/copy_lmc_2").model_at(0);
  Experiment a = RunArtifact(tmp / "lmc/copy_lmc_1").model_at(120), b = RunArtifact(tmp / "lmc/copy_lmc_2").model_at(120);
  for (const auto& p : parent.model->named_parameters()) {
    EXPECT_TRUE(p.value().equal(a0.model->named_parameters()[p.key()])) << p.key();
    EXPECT_TRUE(p.value().equal(b0.model->named_parameters()[p.key()])) << p.key();
  }
  EXPECT_FALSE(a.model->named_parameters()["layers.0.weight"].equal(b.model->named_parameters()["layers.0.weight"]));
  const Json summary = Json::parse(slurp(tmp / "lmc/summary.json"));
  const Json& lmc = summary["linear_mode_connectivity"];
  ASSERT_EQ(lmc["alphas"].size(), 5u);
  const auto curve = lmc["error"]["test"].get<std::vector<double>>();
  for (const auto& [name, index] : {std::pair<std::string, size_t>{"copy_lmc_1", 0}, {"copy_lmc_2", 4}}) {
    const double logged = RunArtifact(tmp / ("lmc/" + name)).metrics().series("test/acc").values.back();
    EXPECT_NEAR(curve[index], 1.0 - logged, 1e-6) << name;
  }
  const double top = *std::max_element(curve.begin(), curve.end());
  EXPECT_NEAR(lmc["instability"]["test"].get<double>(), top - (curve.front() + curve.back()) / 2, 1e-12);
  double above = 0;  // the barrier: above the chord between the endpoints
  for (size_t i = 0; i < curve.size(); ++i) above = std::max(above, curve[i] - (curve[0] + (curve[4] - curve[0]) * i / 4.0));
  EXPECT_NEAR(lmc["barrier"]["test"].get<double>(), above, 1e-12);
  EXPECT_LE(lmc["barrier"]["test"].get<double>(), lmc["instability"]["test"].get<double>() + 1e-12);
  EXPECT_TRUE(fs::exists(tmp / "lmc/plots/lmc.png")) << r.output;
  // phenom analyze on the protocol directory analyses each of its runs.
  write_text(tmp / "views.yaml", "analyses:\n  - {type: loss_accuracy}\n");
  CliResult analyzed = run_cli("analyze lmc views.yaml --steps last --threads 1", tmp.path);
  ASSERT_EQ(analyzed.code, 0) << analyzed.output;
  for (const char* run : {"parent", "copy_lmc_1", "copy_lmc_2"}) {
    EXPECT_TRUE(fs::exists(tmp / ("lmc/" + std::string(run) + "/analyses"))) << run;
  }
}

// Inside imp: LMC pairs of the dense network and of round 2's ticket and random-prune control,
// from the rewind point with the round's mask; a prunable subset is pruned alone.
TEST(ImpProtocol, LmcRoundsAndPrunableLayers) {
  TempDir tmp;
  write_text(tmp / "lt.yaml", kProtocol);
  CliResult r = run_cli("run lt.yaml --out lt --threads 1 --no-plot protocol.rounds=2 protocol.random_reinit=[] "
                        "protocol.lmc_rounds=[0,2] protocol.lmc_alphas=3 protocol.prunable=[layers.0.weight,readout.weight]",
                        tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const Json summary = Json::parse(slurp(tmp / "lt/summary.json"));
  for (const char* key : {"round_0", "round_2"}) EXPECT_TRUE(summary["imp"]["instability"].contains(key)) << summary["imp"];
  EXPECT_TRUE(summary["imp"]["instability_random_prune"].contains("round_2")) << summary["imp"];
  EXPECT_DOUBLE_EQ(summary["imp"]["random_prune_minus_ticket_instability"].get<double>(),
                   summary["imp"]["instability_random_prune"]["round_2"].get<double>() -
                       summary["imp"]["instability"]["round_2"].get<double>());
  const Masks mask = read_safetensors(tmp / "lt/masks/round_2.safetensors");
  EXPECT_EQ(mask.size(), 2u);  // layers.1.weight is not prunable
  EXPECT_FALSE(mask.count("layers.1.weight"));
  EXPECT_NEAR(mask.at("readout.weight").mean().item<double>(), 0.81, 1e-3);  // the output layer's 10% per round
  for (const char* copy : {"round_2_lmc_1", "round_2_random_prune_lmc_2"}) {
    const Masks& held = std::string(copy) == "round_2_lmc_1" ? mask : read_safetensors(tmp / "lt/masks/round_2_random.safetensors");
    Experiment start = RunArtifact(tmp / ("lt/" + std::string(copy))).model_at(0);
    Experiment rewound = RunArtifact(tmp / "lt/round_0").model_at(25);
    const torch::Tensor w = start.model->named_parameters()["layers.0.weight"];
    EXPECT_TRUE(w.equal(rewound.model->named_parameters()["layers.0.weight"] * held.at("layers.0.weight"))) << copy;
  }
}

TEST(ImpProtocol, LmcAndPrunableBadInputExits2) {
  TempDir tmp;
  write_text(tmp / "lt.yaml", kProtocol);
  write_text(tmp / "lmc.yaml", kLmc);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"lt.yaml protocol.prunable=[layers.9.weight]", "layers.0.weight"},  // the model's parameters listed
      {"lt.yaml protocol.lmc_rounds=[9]", "protocol.lmc_rounds"},
      {"lt.yaml protocol.lmc_order_seeds=[1,1]", "protocol.lmc_order_seeds"},
      {"lmc.yaml protocol.order_seeds=[3,3]", "protocol.order_seeds"},
      {"lmc.yaml protocol.rewind=500", "protocol.rewind"}};
  for (const auto& [args, named] : cases) {
    CliResult r = run_cli("run " + args + " --out out --threads 1", tmp.path);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(named), std::string::npos) << args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(tmp / "out/round_0/metrics.jsonl")) << args;
    EXPECT_FALSE(fs::exists(tmp / "out/parent/metrics.jsonl")) << args;
  }
}

}  // namespace
}  // namespace phenom::testing
