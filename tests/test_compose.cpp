// Composition: `defaults: [base.yaml]` merges base specs under a spec, and every problem is
// reported at the file and line where its key was written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "spec/spec.h"

namespace phenom {
namespace {

namespace fs = std::filesystem;

class Compose : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("phenom-compose-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sub");
    write("base.yaml", R"(name: base
task: {type: modular_arithmetic, modulus: 7}
model:
  type: mlp
  width: 16
optimizer: {type: adamw, lr: 0.01}
train: {steps: 10, eval_every: 5}
probes: [{type: weight_norm}]
)");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::vector<Problem> problems(const std::string& path, const std::vector<std::string>& overrides = {}) {
    try {
      load_spec(path, overrides);
    } catch (const SpecError& e) {
      return e.problems;
    }
    ADD_FAILURE() << path << " loaded";
    return {};
  }
  fs::path dir_;
};

TEST_F(Compose, TheIncludingFileWinsKeyByKeyAndListsAreReplacedWhole) {
  const std::string child = write("sub/child.yaml", R"(defaults: [../base.yaml]
name: child
model: {width: 32}
probes: [{type: grad_norm}, {type: lr}]
)");
  const Spec spec = load_spec(child);
  EXPECT_EQ(spec.name, "child");
  EXPECT_EQ(spec.model.type, "mlp");  // kept from the base
  EXPECT_EQ(spec.optimizer.type, "adamw");
  EXPECT_EQ(spec.train.steps, 10);
  ASSERT_EQ(spec.probes.size(), 3u);  // loss_accuracy, then the child's two: the base's list is gone
  EXPECT_EQ(spec.probes[1].type, "grad_norm");
  EXPECT_EQ(spec.probes[2].type, "lr");
  // The same spec written out in one file has the same hash: composition leaves no trace in it.
  const std::string flat = write("flat.yaml", R"(name: child
task: {type: modular_arithmetic, modulus: 7}
model: {type: mlp, width: 32}
optimizer: {type: adamw, lr: 0.01}
train: {steps: 10, eval_every: 5}
probes: [{type: grad_norm}, {type: lr}]
)");
  EXPECT_EQ(spec_hash(spec), spec_hash(load_spec(flat)));
  EXPECT_EQ(resolve_text(spec), resolve_text(load_spec(flat)));
  // Overrides apply to the merged spec, and + refuses a key that the base sets.
  EXPECT_EQ(load_spec(child, {"train.steps=20"}).train.steps, 20);
  const auto refused = problems(child, {"+optimizer.lr=0.1"});
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].text().find("command line '+optimizer.lr=0.1'"), std::string::npos) << refused[0].text();
}

TEST_F(Compose, LaterDefaultsOverrideEarlierOnesAndBasesNest) {
  write("adam.yaml", "defaults: base.yaml\noptimizer: {lr: 0.003}\n");
  write("long.yaml", "train: {steps: 50}\noptimizer: {lr: 0.02}\n");
  const std::string child = write("child.yaml", "defaults: [adam.yaml, long.yaml]\nname: c\n");
  const Spec spec = load_spec(child);
  EXPECT_EQ(spec.train.steps, 50);
  EXPECT_EQ(spec.train.eval_every.every, 5);  // from base.yaml, two files down
  EXPECT_EQ(spec_hash(spec),
            spec_hash(load_spec((dir_ / "base.yaml").string(), {"name=c", "train.steps=50", "optimizer.lr=0.02"})));
  write("a.yaml", "defaults: b.yaml\n");
  write("b.yaml", "defaults: [a.yaml]\n");
  const auto cycle = problems(write("c.yaml", "defaults: a.yaml\nname: c\n"));
  ASSERT_FALSE(cycle.empty());
  EXPECT_NE(cycle[0].text().find("a cycle"), std::string::npos) << cycle[0].text();
}

TEST_F(Compose, EachProblemNamesTheFileAndLineWhereItsKeyWasWritten) {
  write("bad_base.yaml", "name: b\ntask: {type: modular_arithmetic, modulus: 7}\nmodel:\n  type: mlp\n  widht: 16\n"
                         "optimizer: {type: adamw}\ntrain: {steps: 10}\n");
  const std::string child = write("child.yaml", "defaults: [bad_base.yaml]\nname: c\ntrain:\n  steps: -3\n");
  const auto found = problems(child);
  ASSERT_EQ(found.size(), 2u);
  std::string all;
  for (const auto& p : found) all += p.text() + "\n";
  EXPECT_NE(all.find((dir_ / "bad_base.yaml").string() + ":5:3: model.widht"), std::string::npos) << all;
  EXPECT_NE(all.find(child + ":4:10: train.steps"), std::string::npos) << all;
  // A command-line value is blamed on the command line, wherever the key was written.
  const auto typed = problems(write("ok.yaml", "defaults: base.yaml\n"), {"model.width=-1"});
  ASSERT_EQ(typed.size(), 1u);
  EXPECT_NE(typed[0].text().find("command line 'model.width=-1'"), std::string::npos) << typed[0].text();
  // A missing base is blamed on its defaults entry; a malformed one at its own position.
  const auto missing = problems(write("m.yaml", "name: m\ndefaults: [nope.yaml]\n"));
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].text().find("m.yaml:2:12: defaults.0: cannot read the base spec"), std::string::npos)
      << missing[0].text();
  write("broken.yaml", "model: {type: mlp\n");
  const auto broken = problems(write("n.yaml", "defaults: broken.yaml\n"));
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_NE(broken[0].text().find((dir_ / "broken.yaml").string() + ":"), std::string::npos) << broken[0].text();
  EXPECT_NE(broken[0].text().find("malformed YAML in a base spec"), std::string::npos) << broken[0].text();
}

}  // namespace
}  // namespace phenom
