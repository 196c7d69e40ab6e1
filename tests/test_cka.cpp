// CKA against a reference checkpoint under `phenom analyze`: this run's own checkpoint gives 1,
// another seed's gives the value computed by hand on the same examples, and references that
// cannot be compared are refused.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

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

}  // namespace
}  // namespace phenom::testing
