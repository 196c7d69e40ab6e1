// Interventions on slices and as functions, the task's clean/corrupted contrasts, activation
// patching (exact answers on any model: a patched input position recovers everything, an
// unchanged one nothing).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "analyze_helpers.h"
#include "cli_helpers.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "models/model.h"
#include "probes/activations.h"
#include "run/artifact.h"
#include "spec/spec.h"
#include "tasks/task.h"
#include "train/experiment.h"

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

TEST(Interventions, SlicesByAxisAndFunctionsOfTheActivation) {
  HookPoints hooks;
  const int id = hooks.declare("x");
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({4, 3, 5});
  // Position 1 only: the other positions are untouched.
  hooks.intervene("x", {Intervention::Kind::kZero, {}, {}, {{1, 1}}, {}});
  torch::Tensor y = hooks.apply(id, x);
  EXPECT_EQ(y.select(1, 1).abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(y.select(1, 0).equal(x.select(1, 0)));
  EXPECT_TRUE(y.select(1, 2).equal(x.select(1, 2)));
  hooks.clear();
  // Position 2 and units {0, 4}: exactly those 4 x 2 entries replaced.
  const torch::Tensor other = torch::randn({4, 3, 5});
  hooks.intervene("x", {Intervention::Kind::kReplace, other, {0, 4}, {{1, 2}}, {}});
  y = hooks.apply(id, x);
  const torch::Tensor changed = y.ne(x);
  EXPECT_EQ(changed.sum().item<int64_t>(), 8);
  EXPECT_TRUE(y.select(1, 2).select(1, 4).equal(other.select(1, 2).select(1, 4)));
  hooks.clear();
  // A function of the activation; an axis outside the activation is an error naming it.
  hooks.intervene("x", {Intervention::Kind::kFunction, {}, {}, {}, [](const torch::Tensor& a) { return 2 * a; }});
  EXPECT_TRUE(hooks.apply(id, x).equal(2 * x));
  hooks.clear();
  hooks.intervene("x", {Intervention::Kind::kZero, {}, {}, {{3, 0}}, {}});
  EXPECT_THROW(hooks.apply(id, x), std::invalid_argument);
  hooks.clear();
  // Projection out of a 2-d subspace given by a non-orthogonal basis: nothing of the span is left,
  // the orthogonal complement is kept, and projecting twice changes nothing more.
  const torch::Tensor d = torch::tensor({{1.0, 1.0, 0.0, 0.0, 0.0}, {1.0, 0.0, 1.0, 0.0, 0.0}});
  hooks.intervene("x", project_out(d));
  y = hooks.apply(id, x);
  EXPECT_LT(y.matmul(d.t()).abs().max().item<double>(), 1e-5);
  EXPECT_TRUE(torch::allclose(y.select(-1, 3), x.select(-1, 3)));
  EXPECT_TRUE(torch::allclose(hooks.apply(id, y), y, 1e-6, 1e-6));
  hooks.clear();
  // A repeated direction removes one dimension, not two.
  hooks.intervene("x", project_out(torch::tensor({{0.0, 0.0, 0.0, 1.0, 0.0}, {0.0, 0.0, 0.0, 2.0, 0.0}})));
  y = hooks.apply(id, x);
  EXPECT_LT(y.select(-1, 3).abs().max().item<double>(), 1e-6);
  EXPECT_TRUE(torch::allclose(y.select(-1, 0), x.select(-1, 0)));
  EXPECT_TRUE(torch::allclose(y.select(-1, 4), x.select(-1, 4)));
}

TEST(Patching, HookAxesFollowTransformerLensShapes) {
  EXPECT_EQ(hook_axes("blocks.0.attn.hook_pattern", 4).head, 1);
  EXPECT_EQ(hook_axes("blocks.0.attn.hook_pattern", 4).position, 2);
  EXPECT_EQ(hook_axes("blocks.1.attn.hook_z", 4).position, 1);
  EXPECT_EQ(hook_axes("blocks.1.attn.hook_z", 4).head, 2);
  EXPECT_EQ(hook_axes("blocks.1.hook_resid_pre", 3).position, 1);
  EXPECT_EQ(hook_axes("blocks.1.hook_resid_pre", 3).head, -1);
  EXPECT_EQ(hook_axes("layers.0.hook_post", 2).position, -1);
}

// The contrast changes a and only a, with the answers recomputed; it is the same draw every time.
TEST(Patching, ModularArithmeticContrastChangesOneOperand) {
  Experiment ex = build_experiment(load_spec_text(kTransformer));
  const Contrast pair = ex.task->contrast("a", "test", 30, 7);
  ASSERT_EQ(pair.clean.size(), 30);
  EXPECT_TRUE(pair.clean.inputs.equal(ex.task->test().inputs.slice(0, 0, 30)));
  EXPECT_TRUE(pair.corrupted.inputs.select(1, 0).ne(pair.clean.inputs.select(1, 0)).all().item<bool>());
  EXPECT_TRUE(pair.corrupted.inputs.slice(1, 1).equal(pair.clean.inputs.slice(1, 1)));
  EXPECT_TRUE(pair.corrupted.targets.equal((pair.corrupted.inputs.select(1, 0) + pair.corrupted.inputs.select(1, 1)) % 11));
  EXPECT_TRUE(ex.task->contrast("a", "test", 30, 7).corrupted.inputs.equal(pair.corrupted.inputs));
  EXPECT_THROW(ex.task->contrast("c", "test", 30, 7), BadInput);
}

// On a trained transformer, with the contrast on a (position 0): patching the embedding at
// position 0 recovers the whole logit difference and at positions 1, 2 none of it; the last
// block's output matters only at the last position (the readout's), and so do its heads' outputs.
TEST(Patching, RecoversExactlyWhereTheInputsDiffer) {
  TempDir tmp;
  std::string out;
  const auto rows = analyze_trained(tmp, kTransformer,
                                    "  - {type: patching, contrast: a, set: train, hooks: [hook_embed, blocks.1.hook_resid_post, blocks.1.attn.hook_z]}\n"
                                    "  - {type: patching, contrast: a, set: train, metric: loss, hooks: [blocks.0.hook_resid_mid]}\n",
                                    out);
  ASSERT_EQ(rows.size(), 2u);
  const Json& row = rows[0];
  EXPECT_GT(row["patching/clean"].get<double>() - row["patching/corrupted"].get<double>(), 1.0) << row;
  const auto tensors = read_safetensors(out + "/" + row["tensors"].get<std::string>());
  const torch::Tensor embed = tensors.at("patching/hook_embed/by_position").to(torch::kDouble);
  EXPECT_TRUE(torch::allclose(embed, torch::tensor({1.0, 0.0, 0.0}, torch::kDouble), 1e-4, 1e-4)) << embed;
  EXPECT_NEAR(row["patching/hook_embed/recovered"].get<double>(), 1.0, 1e-4);
  const torch::Tensor post = tensors.at("patching/blocks.1.hook_resid_post/by_position").to(torch::kDouble);
  EXPECT_TRUE(torch::allclose(post, torch::tensor({0.0, 0.0, 1.0}, torch::kDouble), 1e-4, 1e-4)) << post;
  EXPECT_EQ(row["patching/blocks.1.hook_resid_post/best_position"].get<double>(), 2.0);
  const torch::Tensor z = tensors.at("patching/blocks.1.attn.hook_z/by_position_head").to(torch::kDouble);
  ASSERT_EQ(z.sizes(), (std::vector<int64_t>{3, 4}));
  EXPECT_LT(z.slice(0, 0, 2).abs().max().item<double>(), 1e-4) << z;
  EXPECT_EQ(tensors.at("patching/blocks.1.attn.hook_z/by_head").size(0), 4);
  EXPECT_TRUE(fs::exists(out + "/plots/patching_0.patching.png"));  // the heatmaps
  // The loss metric: the whole residual stream after block 0's attention recovers the clean loss.
  EXPECT_NEAR(rows[1]["patching/blocks.0.hook_resid_mid/recovered"].get<double>(), 1.0, 1e-4) << rows[1];
  // A task with no contrasts, and a wrong contrast name, exit 2 with what there is.
  expect_refused(tmp, "  - {type: patching, contrast: c, hooks: [hook_embed]}\n", "a, b");
}

}  // namespace
}  // namespace phenom::testing
