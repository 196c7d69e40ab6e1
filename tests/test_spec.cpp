// Spec layer: errors name the key path, file:line:col, what was found and what is allowed;
// overrides; resolve round trip; registry-driven listing.
#include <gtest/gtest.h>

#include "optim/optimizers.h"
#include "spec/spec.h"
#include "tasks/modular_arithmetic.h"

namespace phenom {
namespace {

const char* kValid = R"(name: t
seed: 1
task: {type: modular_arithmetic, modulus: 7, operation: add, train_fraction: 0.5}
model: {type: mlp, width: 16}
optimizer: {type: adamw, lr: 0.01, weight_decay: 1.0}
train: {steps: 10, eval_every: 5}
)";

// Loads `yaml` and returns every problem's text; empty if the spec is valid.
std::vector<std::string> problems(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    load_spec_text(yaml, overrides, "s.yaml");
  } catch (const SpecError& e) {
    std::vector<std::string> out;
    for (const auto& p : e.problems) out.push_back(p.text());
    return out;
  }
  return {};
}

std::string only_problem(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  auto found = problems(yaml, overrides);
  EXPECT_EQ(found.size(), 1u) << (found.empty() ? "no problem" : found[0]);
  return found.empty() ? "" : found[0];
}

// YAML that yaml-cpp would silently misread is refused, naming the line.
TEST(SpecHardening, DuplicateKeysMergeKeysTagsAndSecondDocumentsAreErrors) {
  std::string duplicate = std::string(kValid) + "seed: 2\n";
  std::string p = only_problem(duplicate);
  EXPECT_NE(p.find("'seed' appears twice"), std::string::npos) << p;
  EXPECT_NE(p.find("s.yaml:7:1"), std::string::npos) << p;
  p = only_problem(std::string(kValid) + "---\nname: other\n");
  EXPECT_NE(p.find("second YAML document"), std::string::npos) << p;
  EXPECT_NE(p.find("s.yaml:7:1"), std::string::npos) << p;  // at its "---"
  EXPECT_TRUE(problems(std::string(kValid) + "---\n").empty());  // an empty second document holds nothing
  p = only_problem(std::string(kValid) + "probes: [{<<: {type: weight_norm}, every: 5}]\n");
  EXPECT_NE(p.find("merge keys (<<)"), std::string::npos) << p;
  p = only_problem(std::string(kValid) + "threads: !cores 2\n");
  EXPECT_NE(p.find("the tag '!cores'"), std::string::npos) << p;
}

TEST(SpecHardening, ExpectationsThatCouldNeverHoldAreErrors) {
  for (const char* bad : {"=> 0.0", "=< 1", "\u2265 0.5", ">= .nan"}) {
    const std::string p = only_problem(std::string(kValid) + "expect: {final.test/acc: \"" + bad + "\"}\n");
    EXPECT_NE(p.find("expect.final.test/acc"), std::string::npos) << p;
  }
  EXPECT_TRUE(problems(std::string(kValid) + "expect: {final.test/acc: \">= 0.5\", final.train/acc: \"!= 0\"}\n").empty());
}

TEST(SpecHardening, NamesThatEscapeRunsOrCannotBeADirectoryAreErrors) {
  for (const char* name : {"..", ".", "a/b", "\"a\\tb\""}) {
    const std::string p = only_problem(std::string(kValid) + "", {std::string("name=") + name});
    EXPECT_NE(p.find("name"), std::string::npos) << p;
  }
  const std::string p = only_problem(kValid, {"name=" + std::string(201, 'x')});
  EXPECT_NE(p.find("1-200 characters"), std::string::npos) << p;
}

TEST(SpecHardening, OverridesThroughAScalarOrWithAbsurdIndicesAreCommandLineErrors) {
  std::string p = only_problem(kValid, {"name.x=1"});
  EXPECT_NE(p.find("command line 'name.x=1'"), std::string::npos) << p;
  EXPECT_NE(p.find("not a mapping"), std::string::npos) << p;
  p = only_problem(kValid, {"model=3", "model.width=5"});
  EXPECT_NE(p.find("command line 'model.width=5'"), std::string::npos) << p;
  p = only_problem(std::string(kValid) + "probes: [{type: weight_norm, every: 5}]\n",
                   {"probes.99999999999999999999.every=1"});
  EXPECT_NE(p.find("not an index"), std::string::npos) << p;
}

TEST(Spec, ValidSpecLoadsWithDefaults) {
  Spec spec = load_spec_text(kValid);
  EXPECT_EQ(spec.name, "t");
  EXPECT_EQ(spec.task.as<ModularArithmeticOptions>().modulus, 7);
  EXPECT_EQ(spec.optimizer.as<AdamWOptions>().betas, (std::vector<double>{0.9, 0.999}));
  EXPECT_TRUE(spec.train.batch_size.full());
  ASSERT_EQ(spec.probes.size(), 1u);  // loss_accuracy added by default at train.eval_every
  EXPECT_EQ(spec.probes[0].type, "loss_accuracy");
  EXPECT_EQ(spec.probes[0].options->every.every, 5);
}

struct BadCase {
  const char* what;
  std::string yaml;
  std::vector<const char*> must_contain;
};

class MalformedSpec : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedSpec, ReportsWhereWhatAndAllowed) {
  const BadCase& c = GetParam();
  std::string message = only_problem(c.yaml);
  for (const char* piece : c.must_contain) EXPECT_NE(message.find(piece), std::string::npos) << c.what << ": '" << piece << "' not in: " << message;
}

std::string with(const std::string& from, const std::string& to) {
  std::string s = kValid;
  s.replace(s.find(from), from.size(), to);
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Table, MalformedSpec,
    ::testing::Values(
        BadCase{"negative lr", with("lr: 0.01", "lr: -0.1"), {"s.yaml:5:", "optimizer.lr", "'-0.1'", "> 0"}},
        BadCase{"train_fraction out of (0,1)", with("train_fraction: 0.5", "train_fraction: 1.5"),
                {"s.yaml:3:", "task.train_fraction", "in (0, 1)"}},
        BadCase{"batch size 0", with("steps: 10", "steps: 10, batch_size: 0"), {"train.batch_size", "`full` or an integer"}},
        BadCase{"modulus < 2", with("modulus: 7", "modulus: 1"), {"task.modulus", ">= 2"}},
        BadCase{"unknown key near miss", with("width: 16", "widht: 16"), {"s.yaml:4:", "model.widht", "did you mean 'width'"}},
        BadCase{"unknown type near miss", with("type: adamw", "type: adamww"),
                {"optimizer.type", "did you mean 'adamw'", "sgd, adam, adamw"}},
        BadCase{"wrong type", with("steps: 10", "steps: ten"), {"s.yaml:6:", "train.steps", "'ten'", "an integer"}},
        BadCase{"bad choice", with("operation: add", "operation: ad"), {"task.operation", "one of: add, sub", "did you mean 'add'"}},
        BadCase{"missing type", with("{type: mlp, width: 16}", "{width: 16}"), {"model.type", "missing key 'type'", "mlp, transformer"}},
        BadCase{"missing section", with("model: {type: mlp, width: 16}\n", ""), {"model", "missing section"}},
        BadCase{"betas length", with("weight_decay: 1.0", "weight_decay: 1.0, betas: [0.9]"), {"optimizer.betas", "a list of 2"}},
        BadCase{"beta out of range", with("weight_decay: 1.0", "weight_decay: 1.0, betas: [0.9, 1.5]"), {"optimizer.betas.1", "[0, 1)"}},
        BadCase{"div needs prime", with("modulus: 7, operation: add", "modulus: 8, operation: div"), {"task.modulus", "not prime"}},
        BadCase{"model cannot consume inputs", with("{type: mlp, width: 16}", "{type: mlp, width: 16, embedding: none}"),
                {"model.type", "cannot consume", "token"}},
        BadCase{"unknown top-level", with("seed: 1", "seed: 1\nsede: 2"), {"s.yaml:3:", "unknown key 'sede'", "did you mean 'seed'"}},
        BadCase{"bad device", with("seed: 1", "seed: 1\ndevice: gpu"), {"device", "auto, cpu, cuda, cuda:N"}},
        BadCase{"expect unknown section", kValid + std::string("expect: {grokin.detected: true}\n"),
                {"expect.grokin.detected", "not a summary section"}},
        BadCase{"expect comparison needs number", kValid + std::string("expect: {final.test/acc: '>= high'}\n"),
                {"expect.final.test/acc", "needs a number"}},
        BadCase{"cadence zero", with("eval_every: 5", "eval_every: 0"), {"s.yaml:6:", "train.eval_every", ">= 1", "per_decade"}},
        BadCase{"cadence unknown key", with("eval_every: 5", "eval_every: {per_decad: 20}"),
                {"train.eval_every.per_decad", "per_decade, every"}},
        BadCase{"cadence without per_decade", with("eval_every: 5", "eval_every: {every: 20}"),
                {"train.eval_every", "no per_decade"}},
        BadCase{"cadence not a number", with("eval_every: 5", "eval_every: {per_decade: many}"),
                {"train.eval_every.per_decade", "'many'", "{per_decade: 20}"}},
        BadCase{"malformed yaml", "task: {type: [\n", {"s.yaml:", "malformed YAML"}}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name = info.param.what;
      for (char& c : name) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

TEST(Spec, EveryProblemIsReportedAtOnce) {
  std::string yaml = with("lr: 0.01", "lr: -1");
  yaml = yaml.replace(yaml.find("width: 16"), 9, "widht: 16");
  EXPECT_EQ(problems(yaml).size(), 2u);
}

TEST(Spec, CudaWithoutCudaIsAnError) {
  if (!problems(with("seed: 1", "seed: 1\ndevice: cpu")).empty()) GTEST_FAIL();
  // This machine has no GPU; where one exists the spec is valid and this check is moot.
  auto found = problems(with("seed: 1", "seed: 1\ndevice: cuda"));
  if (!found.empty()) EXPECT_NE(found[0].find("CUDA"), std::string::npos);
}

TEST(Spec, OverridesApplyBeforeValidationAndNameTheCommandLine) {
  Spec spec = load_spec_text(kValid, {"optimizer.lr=3e-3", "model.width=64", "optimizer.betas=[0.8,0.9]",
                                      "train.batch_size=32", "name=other"});
  EXPECT_DOUBLE_EQ(spec.optimizer.as<AdamWOptions>().lr, 3e-3);
  EXPECT_EQ(spec.optimizer.as<AdamWOptions>().betas, (std::vector<double>{0.8, 0.9}));
  EXPECT_EQ(spec.train.batch_size.n, 32);
  EXPECT_EQ(spec.name, "other");
  std::string message = only_problem(kValid, {"optimizer.lr=-1"});
  EXPECT_NE(message.find("command line 'optimizer.lr=-1'"), std::string::npos) << message;
  message = only_problem(kValid, {"optimizer.lrr=1"});
  EXPECT_NE(message.find("did you mean 'lr'"), std::string::npos) << message;
}

// threads is a run's CPU budget: read and validated, but not part of the hash (it cannot change
// results), so a run resumes into the same directory under another budget.
TEST(Spec, ThreadsIsValidatedAndLeftOutOfTheHash) {
  Spec plain = load_spec_text(kValid);
  Spec one = load_spec_text(kValid, {"threads=1"});
  EXPECT_EQ(plain.threads, 0);
  EXPECT_EQ(one.threads, 1);
  EXPECT_EQ(spec_hash(plain), spec_hash(one));
  EXPECT_NE(spec_hash(plain), spec_hash(load_spec_text(kValid, {"seed=9"})));
  EXPECT_THROW(load_spec_text(kValid, {"threads=-1"}), SpecError);
}

TEST(Spec, ListItemsOverrideByIndex) {
  std::string yaml = std::string(kValid) + "probes: [{type: weight_norm, every: 3}]\n";
  Spec spec = load_spec_text(yaml, {"probes.0.every=7"});
  ASSERT_EQ(spec.probes.size(), 2u);
  EXPECT_EQ(spec.probes[1].type, "weight_norm");
  EXPECT_EQ(spec.probes[1].options->every.every, 7);
  EXPECT_NE(only_problem(yaml, {"probes.5.every=7"}).find("not an index"), std::string::npos);
}

TEST(Spec, ExpectKeysWithDotsAndSlashesOverride) {
  std::string yaml = std::string(kValid) + "detectors: [{type: grokking}]\nexpect: {grokking.detected: true}\n";
  Spec spec = load_spec_text(yaml, {"expect.final.test/acc=>= 0.9"});
  ASSERT_EQ(spec.expect.size(), 2u);
  EXPECT_EQ(spec.expect[1].key, "final.test/acc");
  EXPECT_EQ(spec.expect[1].op, ">=");
  EXPECT_EQ(spec.expect[1].value, "0.9");
}

TEST(Spec, ResolveRoundTripIsAFixedPoint) {
  std::string yaml = std::string(kValid) +
                     "schedule: {type: cosine, warmup_steps: 2}\nprobes: [{type: weight_norm}]\n"
                     "detectors: [{type: grokking, test_acc: 0.9}]\n"
                     "expect: {grokking.detected: true, grokking.lag_ratio: '>= 1.5', final.test/acc: '> 0.5'}\n";
  Spec spec = load_spec_text(yaml, {"optimizer.lr=1e-5"});
  std::string once = resolve_text(spec);
  Spec again = load_spec_text(once);
  EXPECT_EQ(resolve_text(again), once);
  EXPECT_EQ(spec_hash(again), spec_hash(spec));
  EXPECT_NE(once.find("lr: 1e-05"), std::string::npos) << once;
}

TEST(Spec, HashChangesWithResultsAffectingKeysOnly) {
  Spec a = load_spec_text(kValid), b = load_spec_text(kValid, {"seed=2"});
  EXPECT_NE(spec_hash(a), spec_hash(b));
  Spec c = load_spec_text(std::string(kValid) + "sweep: {seed: [0, 1]}\n");
  EXPECT_EQ(spec_hash(a), spec_hash(c));  // the sweep block does not change a run
  EXPECT_EQ(spec_hash(a).size(), 8u);
  // Writing a default explicitly does not change the hash; changing it does.
  EXPECT_EQ(spec_hash(a), spec_hash(load_spec_text(kValid, {"train.grad_clip=0", "model.depth=1"})));
  EXPECT_NE(spec_hash(a), spec_hash(load_spec_text(kValid, {"train.grad_clip=1"})));
  EXPECT_EQ(spec_hash_text(a).find("train.grad_clip"), std::string::npos);
}

// The older spelling of the detector lists (spec.yaml of older run directories) still reads, into
// the same run; both spellings at once are refused, naming the older key.
TEST(Spec, OlderDetectorListSpellingReadsIntoTheSameRun) {
  const std::string detector = "{type: grokking, train_acc: 0.9}";
  Spec now = load_spec_text(std::string(kValid) + "detectors: [" + detector + "]\n");
  Spec older = load_spec_text(std::string(kValid) + "phenomena: [" + detector + "]\n");
  ASSERT_EQ(older.detectors.size(), 1u);
  EXPECT_EQ(older.detectors[0].type, "grokking");
  EXPECT_EQ(spec_hash(older), spec_hash(now));
  EXPECT_NE(spec_hash(now), spec_hash(load_spec_text(kValid)));
  const std::string both = only_problem(std::string(kValid) + "detectors: [" + detector + "]\nphenomena: [" + detector + "]\n");
  EXPECT_NE(both.find("s.yaml:8:"), std::string::npos) << both;
  EXPECT_NE(both.find("keep one ('detectors')"), std::string::npos) << both;
  EXPECT_NE(resolve_text(older).find("detectors:"), std::string::npos);
  EXPECT_EQ(resolve_text(older).find("phenomena"), std::string::npos);
}

// Steps a cadence measures at, up to `last`.
std::vector<int64_t> due_steps(const Cadence& c, int64_t last) {
  std::vector<int64_t> steps;
  for (int64_t s = 0; s <= last; ++s) if (c.due(s)) steps.push_back(s);
  return steps;
}

TEST(Cadence, LinearLogAndBoth) {
  EXPECT_EQ(due_steps(Cadence{4, 0}, 13), (std::vector<int64_t>{0, 4, 8, 12}));
  // 10 per decade: the first step at or after each 10^(k/10) = 1, 1.26, 1.58, 2.00, 2.51, 3.16, 3.98,
  // 5.01, 6.31, 7.94, 10, 12.6, 15.8, 20.0, 25.1, 31.6, 39.8, 50.1, 63.1, 79.4, 100.
  EXPECT_EQ(due_steps(Cadence{0, 10}, 100),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 6, 7, 8, 10, 13, 16, 20, 26, 32, 40, 51, 64, 80, 100}));
  // Both grids: the union.
  EXPECT_EQ(due_steps(Cadence{30, 10}, 100),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 6, 7, 8, 10, 13, 16, 20, 26, 30, 32, 40, 51, 60, 64, 80, 90, 100}));
  // Density: about per_decade steps per factor of ten once they are more than a step apart.
  EXPECT_EQ(due_steps(Cadence{0, 20}, 100000).size() - due_steps(Cadence{0, 20}, 10000).size(), 20u);
}

TEST(Cadence, ParsesResolvesAndHashes) {
  const std::string listed = std::string(kValid) + "probes: [{type: loss_accuracy}]\n";
  Spec spec = load_spec_text(listed, {"train.eval_every={per_decade: 20}", "probes.0.every=3"});
  EXPECT_EQ(spec.train.eval_every, (Cadence{0, 20}));
  EXPECT_EQ(spec.probes[0].options->every, (Cadence{3, 0}));
  Spec both = load_spec_text(std::string(kValid) + "probes: [{type: weight_norm, every: {per_decade: 5, every: 50}}]\n");
  EXPECT_EQ(both.probes[1].options->every, (Cadence{50, 5}));
  EXPECT_EQ(both.probes[0].options->every, (Cadence{5, 0}));  // loss_accuracy at train.eval_every
  // resolve writes what load reads; an integer cadence hashes as before the mapping form existed.
  for (const Spec* s : {&spec, &both}) {
    Spec again = load_spec_text(resolve_text(*s));
    EXPECT_EQ(resolve_text(again), resolve_text(*s));
    EXPECT_EQ(spec_hash(again), spec_hash(*s));
  }
  EXPECT_NE(resolve_text(both).find("every: {per_decade: 5, every: 50}"), std::string::npos) << resolve_text(both);
  EXPECT_NE(spec_hash_text(both).find("probes.1.every={per_decade: 5, every: 50}"), std::string::npos);
  EXPECT_NE(spec_hash_text(load_spec_text(kValid, {"train.eval_every=7"})).find("train.eval_every=7\n"), std::string::npos);
  EXPECT_NE(spec_hash(spec), spec_hash(load_spec_text(listed, {"train.eval_every={per_decade: 21}", "probes.0.every=3"})));
}

TEST(Spec, ListComesFromTheRegistries) {
  std::string all = list_components("");
  for (const char* name : {"modular_arithmetic", "mlp", "transformer", "adamw", "sgd", "cosine", "linear_warmup",
                           "weight_norm", "grad_norm", "grokking", "train_fraction", "every"}) {
    EXPECT_NE(all.find(name), std::string::npos) << name;
  }
  std::string models = list_components("models");
  EXPECT_EQ(models.find("modular_arithmetic"), std::string::npos);
  EXPECT_NE(models.find("d_model = 128"), std::string::npos);
}

}  // namespace
}  // namespace phenom
