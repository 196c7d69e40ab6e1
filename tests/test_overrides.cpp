// Hydra's habits on the command line: +key (add), ++key (set or add), ~key (remove), list items
// appended, integers written as numbers, and "did you mean" that forgives case and prefixes.
#include <gtest/gtest.h>

#include "spec/spec.h"

namespace phenom {
namespace {

const char* kSpec = R"(name: t
task: {type: modular_arithmetic, modulus: 7}
model: {type: mlp, width: 16}
optimizer: {type: adamw, lr: 0.01}
train: {steps: 10, eval_every: 5}
probes: [{type: weight_norm}, {type: grad_norm}, {type: lr}]
)";

// The one problem of loading kSpec with `overrides` ("" when it loads).
std::string problem(const std::vector<std::string>& overrides) {
  try {
    load_spec_text(kSpec, overrides, "s.yaml");
  } catch (const SpecError& e) {
    EXPECT_EQ(e.problems.size(), 1u) << e.what();
    return e.problems.empty() ? "" : e.problems[0].text();
  }
  return "";
}

std::vector<std::string> probe_types(const Spec& spec) {
  std::vector<std::string> types;
  for (const auto& p : spec.probes) types.push_back(p.type);
  return types;
}

TEST(Overrides, PlusAddsOnlyWhatTheSpecDoesNotSet) {
  EXPECT_EQ(load_spec_text(kSpec, {"+train.stop_train_acc=1"}).train.stop_train_acc, 1.0);
  const std::string refused = problem({"+optimizer.lr=0.1"});
  EXPECT_NE(refused.find("command line '+optimizer.lr=0.1'"), std::string::npos) << refused;
  EXPECT_NE(refused.find("already set in the spec"), std::string::npos) << refused;
  // ++ and plain key=value set it; both give the same spec as writing it in the file.
  const std::string file_hash = spec_hash(load_spec_text(std::string(kSpec).replace(
      std::string(kSpec).find("lr: 0.01"), 8, "lr: 0.1")));
  EXPECT_EQ(spec_hash(load_spec_text(kSpec, {"++optimizer.lr=0.1"})), file_hash);
  EXPECT_EQ(spec_hash(load_spec_text(kSpec, {"optimizer.lr=0.1"})), file_hash);
}

TEST(Overrides, TildeRemovesAKeyOrAListItem) {
  // The listed probes follow the default loss_accuracy added in front.
  EXPECT_EQ(probe_types(load_spec_text(kSpec, {"~probes.1"})),
            (std::vector<std::string>{"loss_accuracy", "weight_norm", "lr"}));
  EXPECT_EQ(probe_types(load_spec_text(kSpec, {"~probes"})), (std::vector<std::string>{"loss_accuracy"}));
  EXPECT_EQ(load_spec_text(kSpec, {"~train.eval_every"}).train.eval_every, Spec().train.eval_every);
  const std::string nothing = problem({"~train.batch_size"});
  EXPECT_NE(nothing.find("nothing to remove"), std::string::npos) << nothing;
  const std::string beyond = problem({"~probes.3"});
  EXPECT_NE(beyond.find("not an index of the list (it has 3 items)"), std::string::npos) << beyond;
}

TEST(Overrides, ListItemsAreAppendedByPlusOrByTheIndexAfterTheLast) {
  const std::vector<std::string> four = {"loss_accuracy", "weight_norm", "grad_norm", "lr", "weight_norm"};
  EXPECT_EQ(probe_types(load_spec_text(kSpec, {"+probes={type: weight_norm}"})), four);
  EXPECT_EQ(probe_types(load_spec_text(kSpec, {"probes.3={type: weight_norm}"})), four);
  const std::string gap = problem({"probes.5={type: weight_norm}"});
  EXPECT_NE(gap.find("index 3 appends one"), std::string::npos) << gap;
  const std::string exists = problem({"+probes.0={type: lr}"});
  EXPECT_NE(exists.find("item 0 of 'probes' exists"), std::string::npos) << exists;
  // A spec without the list: +probes={...} starts one.
  const std::string bare = "name: t\ntask: {type: modular_arithmetic, modulus: 7}\nmodel: {type: mlp, width: 16}\n"
                           "optimizer: {type: adamw, lr: 0.01}\ntrain: {steps: 10}\n";
  EXPECT_EQ(probe_types(load_spec_text(bare, {"+probes={type: lr}"})), (std::vector<std::string>{"loss_accuracy", "lr"}));
}

TEST(Overrides, IntegersWrittenAsNumbersAreIntegers) {
  EXPECT_EQ(load_spec_text(kSpec, {"train.steps=1e3"}).train.steps, 1000);
  EXPECT_EQ(load_spec_text(kSpec, {"train.steps=2.5e3"}).train.steps, 2500);
  const std::string fraction = problem({"train.steps=1.5"});
  EXPECT_NE(fraction.find("allowed: an integer"), std::string::npos) << fraction;
}

TEST(Overrides, DidYouMeanForgivesCaseAndPrefixes) {
  const std::string upper = problem({"optimizer.type=AdamW"});
  EXPECT_NE(upper.find("did you mean 'adamw'"), std::string::npos) << upper;
  const std::string prefix = problem({"schedule={type: linear_warmup, warmup: 5}"});
  EXPECT_NE(prefix.find("did you mean 'warmup_steps'"), std::string::npos) << prefix;
}

}  // namespace
}  // namespace phenom
