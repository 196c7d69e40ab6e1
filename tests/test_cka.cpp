// CKA against a reference checkpoint under `phenom analyze`: this run's own checkpoint gives 1,
// another seed's gives the value computed by hand on the same examples, and references that
// cannot be compared are refused; across every checkpoint (steps x steps) and among runs (seeds).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

#include "analyze_helpers.h"
#include "cli_helpers.h"
#include "models/model.h"
#include "probes/cka_math.h"
#include "run/artifact.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom::testing {
namespace {

using Json = nlohmann::json;

const char* kSeeds =
    "name: seeds\ndevice: cpu\n"
    "task: {type: modular_arithmetic, modulus: 11, train_fraction: 0.5}\n"
    "model: {type: mlp, width: 32}\noptimizer: {type: adamw, lr: 0.01}\n"
    "train: {steps: 100, loss: cross_entropy, eval_every: 50, checkpoint_every: 50}\n";

TEST(Cka, AgainstAReferenceCheckpointOfThisOrAnotherRun) {
  TempDir tmp;
  write_text(tmp / "seed1.yaml", std::string(kSeeds) + "seed: 1\n");
  ASSERT_EQ(run_cli("run seed1.yaml --out other --threads 1 --no-plot --quiet", tmp.path).code, 0);
  std::string out;
  // The same run at the same step: 1 at every checkpoint; at step 0 against the last: less.
  const auto rows = analyze_trained(tmp, kSeeds,
                                    "  - {type: cka, hooks: [layers.0.hook_post], reference_run: " + tmp.path + "/run}\n"
                                    "  - {type: cka, hooks: [layers.0.hook_post], reference_run: " + tmp.path + "/other}\n"
                                    "  - {type: cka, hooks: [layers.0.hook_post], reference_run: " + tmp.path +
                                    "/run, reference_step: 0}\n",
                                    out);
  ASSERT_EQ(rows.size(), 3u);
  const std::string key = "cka/layers.0.hook_post/reference";
  EXPECT_NEAR(rows[0][key].get<double>(), 1.0, 1e-9) << rows[0];
  EXPECT_LT(rows[2][key].get<double>(), 0.99) << rows[2];
  // Another seed: the reference model runs on this run's examples; by hand.
  Experiment here = RunArtifact(tmp / "run").model_at(100);
  Experiment there = RunArtifact(tmp / "other").model_at(100);
  const torch::Tensor inputs = here.task->test().inputs;
  torch::NoGradGuard no_grad;
  auto hidden = [&](Experiment& ex) {
    ex.model->hooks().capture("layers.0.hook_post");
    ex.model->forward(inputs);
    torch::Tensor h = ex.model->hooks().cached("layers.0.hook_post").to(torch::kDouble);
    ex.model->hooks().clear();
    return h;
  };
  const double by_hand = linear_cka(hidden(here), hidden(there));
  EXPECT_NEAR(rows[1][key].get<double>(), by_hand, 1e-9) << rows[1];
  EXPECT_LT(by_hand, 0.999);
  // A checkpoint the reference lacks lists its steps; a directory that is no run is refused.
  expect_refused(tmp, "  - {type: cka, hooks: [layers.0.hook_post], reference_run: other, reference_step: 70}\n",
                 "0, 50, 100");
  expect_refused(tmp, "  - {type: cka, hooks: [layers.0.hook_post], reference_run: nowhere}\n", "nowhere");
  // During training there is no other run to open.
  write_text(tmp / "train.yaml", std::string(kSeeds) + "probes:\n  - {type: cka, hooks: [layers.0.hook_post], "
                                                        "reference_run: other}\n");
  const CliResult r = run_cli("run train.yaml --out t --threads 1 --no-plot --quiet", tmp.path);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("only phenom analyze"), std::string::npos) << r.output;
}

// Steps x steps: every analysed step against every checkpoint gives a symmetric matrix with 1 on
// the diagonal (both sides run on this run's examples); runs x runs agrees with the one-reference
// value and has 1 where a run meets itself; both are drawn.
TEST(Cka, AcrossEveryCheckpointAndAmongRuns) {
  TempDir tmp;
  write_text(tmp / "seed1.yaml", std::string(kSeeds) + "seed: 1\n");
  ASSERT_EQ(run_cli("run seed1.yaml --out other --threads 1 --no-plot --quiet", tmp.path).code, 0);
  write_text(tmp / "run.yaml", kSeeds);
  ASSERT_EQ(run_cli("run run.yaml --out run --threads 1 --no-plot --quiet", tmp.path).code, 0);
  const std::string h = "cka/layers.0.hook_post/";
  write_text(tmp / "a.yaml", "steps: all\nanalyses:\n"
                             "  - {type: cka, hooks: [layers.0.hook_post], reference_steps: [all]}\n"
                             "  - {type: cka, hooks: [layers.0.hook_post], reference_runs: [this, other, this]}\n"
                             "  - {type: cka, hooks: [layers.0.hook_post], reference_run: other}\n");
  const CliResult r = run_cli("analyze run a.yaml --threads 1", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string out = std::filesystem::directory_iterator(tmp / "run/analyses")->path();
  std::map<std::string, std::map<int64_t, Json>> rows;  // analysis -> step -> row
  std::ifstream in(out + "/results.jsonl");
  for (std::string line; std::getline(in, line);) {
    const Json row = Json::parse(line);
    rows[row["analysis"].get<std::string>()][row["step"].get<int64_t>()] = row;
  }
  const auto& steps = rows["0.cka"];
  ASSERT_EQ(steps.size(), 3u);  // checkpoints 0, 50, 100
  for (const auto& [s, row] : steps) {
    for (const auto& [t, other] : steps) {
      const std::string here = h + "reference/" + std::to_string(t), there = h + "reference/" + std::to_string(s);
      ASSERT_TRUE(row.contains(here)) << row;
      if (s == t) EXPECT_NEAR(row[here].get<double>(), 1.0, 1e-9) << row;
      // CKA(model_s, model_t) on the same examples, computed from either side.
      EXPECT_NEAR(row[here].get<double>(), other[there].get<double>(), 1e-9) << s << " vs " << t;
    }
  }
  EXPECT_LT(steps.at(0)[h + "reference/100"].get<double>(), 0.99);
  for (const auto& [s, row] : rows["1.cka"]) {
    EXPECT_NEAR(row[h + "runs/0/2"].get<double>(), 1.0, 1e-9) << row;  // this run against itself
    EXPECT_NEAR(row[h + "runs/0/1"].get<double>(), rows["2.cka"][s][h + "reference"].get<double>(), 1e-12) << row;
    EXPECT_NEAR(row[h + "runs/1/2"].get<double>(), row[h + "runs/0/1"].get<double>(), 1e-12) << row;
    const double mean = (row[h + "runs/0/1"].get<double>() * 2 + 1.0) / 3;
    EXPECT_NEAR(row[h + "runs/mean"].get<double>(), mean, 1e-12) << row;
  }
  EXPECT_TRUE(std::filesystem::exists(out + "/plots/cka_steps_0.cka_0.png")) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out + "/plots/cka_runs_1.cka_0.png")) << r.output;
  expect_refused(tmp, "  - {type: cka, hooks: [layers.0.hook_post], reference_steps: [later]}\n", "reference_steps");
  expect_refused(tmp, "  - {type: cka, hooks: [layers.0.hook_post], reference_runs: [this]}\n", "two or more");
}

// The showcase: three seeds of the grokking MLP (configs/grokking/mlp.yaml; generalises at step
// ~40) grow alike in the first layer after grokking. Measured, layers.0.hook_post on seed 0's test
// pairs, the three pairs of seeds: step 0 0.452/0.456/0.453, step 50 0.487/0.500/0.510, step 100
// 0.846/0.831/0.829, step 200 0.812/0.821/0.824; hence every pair >= 0.7 at the end and the mean
// up by >= 0.2 from step 0 and from step 50.
TEST(Cka, SeedsOfTheGrokkingMlpGrowAlikeAfterGrokking) {
  TempDir tmp;
  const std::string config = source_dir() + "/configs/grokking/mlp.yaml";
  for (const char* seed : {"0", "1", "2"}) {
    const CliResult r = run_cli("run " + config + " seed=" + seed + " --out g" + seed + " --threads 1 --no-plot --quiet",
                                tmp.path);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  write_text(tmp / "a.yaml", "steps: all\nanalyses:\n"
                             "  - {type: cka, hooks: [layers.0.hook_post], reference_runs: [this, g1, g2]}\n");
  const CliResult r = run_cli("analyze g0 a.yaml --threads 1", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string out = std::filesystem::directory_iterator(tmp / "g0/analyses")->path();
  std::map<int64_t, Json> rows;
  std::ifstream in(out + "/results.jsonl");
  for (std::string line; std::getline(in, line);) {
    const Json row = Json::parse(line);
    rows[row["step"].get<int64_t>()] = row;
  }
  ASSERT_TRUE(rows.count(0) && rows.count(50) && rows.count(200));
  const std::string h = "cka/layers.0.hook_post/runs/";
  for (const char* pair : {"0/1", "0/2", "1/2"}) EXPECT_GE(rows[200][h + pair].get<double>(), 0.7) << pair;
  const double end = rows[200][h + "mean"].get<double>();
  EXPECT_GE(end, rows[0][h + "mean"].get<double>() + 0.2);
  EXPECT_GE(end, rows[50][h + "mean"].get<double>() + 0.2);
}

}  // namespace
}  // namespace phenom::testing
