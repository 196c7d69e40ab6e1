// What a spec gets wrong about its own components is refused before step 0: exit 2, the key and
// its line named, no run directory created. The check itself changes no run's results.
#include <gtest/gtest.h>

#include "cli_helpers.h"
#include "models/model.h"
#include "run/memory.h"
#include "tasks/task.h"
#include "train/experiment.h"
#include "train/preflight.h"

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;

struct Refused {
  const char* name;
  std::string spec;       // replaces the small grokking spec's lines that start with the same key
  const char* arguments;  // overrides
  const char* key;        // the key path the error names
  const char* where;      // its location: "spec.yaml:<line>" or "command line"
  const char* says;       // a phrase of the message
};

std::string with_line(const std::string& replacement) {
  std::string spec = small_grokking_spec(40, 20), out;
  const std::string key = replacement.substr(0, replacement.find(':') + 1);
  std::istringstream lines(spec);
  for (std::string line; std::getline(lines, line);) out += (line.rfind(key, 0) == 0 ? replacement : line) + "\n";
  return out;
}

// A linear model of 3 inputs (3 weights, no bias) on 20 examples, with a hessian probe on line 7.
std::string tiny_hessian_spec(const std::string& options) {
  return "name: h\ndevice: cpu\ntask: {type: linear_regression, dim: 3, n_train: 20, n_test: 10}\n"
         "model: {type: linear}\noptimizer: {type: sgd, lr: 0.1}\ntrain: {steps: 5, loss: mse}\n"
         "probes: [{type: hessian, " + options + "}]\n";
}

class PreflightRefuses : public ::testing::TestWithParam<Refused> {};

TEST_P(PreflightRefuses, WithExit2AndNothingCreated) {
  const Refused& c = GetParam();
  TempDir tmp;
  write_text(tmp / "spec.yaml", c.spec);
  CliResult r = run_cli(std::string("run spec.yaml ") + c.arguments + " --no-plot --out out --threads 1", tmp.path);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_FALSE(fs::exists(tmp / "out")) << r.output;
  EXPECT_NE(r.output.find(std::string(c.key) + ": "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(c.where), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(c.says), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Preflight, PreflightRefuses,
    ::testing::Values(
        Refused{"ProbeParameterTheModelLacks", with_line("probes: [{type: fourier, parameter: layers.7.weight}]"),
                "", "probes.0", "spec.yaml:7:", "no parameter 'layers.7.weight'"},
        Refused{"ProbeHookTheModelLacks", with_line("probes: [{type: pca, hook: layers.0.hook_nope}]"), "",
                "probes.0", "spec.yaml:7:", "no hook point 'layers.0.hook_nope'"},
        Refused{"ProbeOnATaskItCannotRead",
                with_line("task: {type: linear_regression, dim: 10, n_train: 20, n_test: 50}"),
                "model.activation=relu train.loss=mse detectors=[] expect={}", "probes.2.type", "spec.yaml:7:",
                "reads the evaluation data of task 'modular_arithmetic'"},
        Refused{"DetectorMetricNoProbeProduces", with_line("detectors: [{type: grokking, test_metric: test/accuracy}]"),
                "", "detectors.0.test_metric", "spec.yaml:8:", "did you mean 'test/acc'?"},
        Refused{"ExpectationOnAMetricNoProbeProduces", small_grokking_spec(40, 20), "expect.final.test/accuracy=0.5",
                "expect.final.test/accuracy", "command line 'expect.final.test/accuracy=0.5'", "did you mean 'test/acc'?"},
        Refused{"StopConditionWithoutTrainAccuracy", with_line("probes: [{type: loss_accuracy, split: test}]"),
                "train.stop_train_acc=1 detectors=[] expect={}", "train.stop_train_acc", "command line",
                "reads the metric 'train/acc'"},
        Refused{"AModelTooLargeForMemory", small_grokking_spec(40, 20), "model.width=100000000000", "model",
                "command line 'model.width=100000000000'", "this run needs at least"},
        Refused{"ABatchTooLargeForMemory",
                "name: icl\ndevice: cpu\ntask: {type: icl_regression, dim: 4, n_points: 9}\n"
                "model: {type: transformer, d_model: 16, n_heads: 2, d_head: 8, d_mlp: 32}\n"
                "optimizer: {type: adam, lr: 1.0e-3}\ntrain: {steps: 10, loss: mse, batch_size: 64}\n",
                "train.batch_size=100000000000", "train.batch_size", "command line 'train.batch_size=",
                "activations of one step"},
        Refused{"HessianTopKAboveTheParameterCount", tiny_hessian_spec("top_k: 10, iterations: 40"), "", "probes.0",
                "spec.yaml:7:", "top_k 10 exceeds the model's 3 parameters"},
        Refused{"HessianSubsetLargerThanTheSet", tiny_hessian_spec("examples: 50"), "", "probes.0", "spec.yaml:7:",
                "examples 50 exceeds the 20 examples of the set 'train'"},
        Refused{"PreconditionedSharpnessWithoutAdam", tiny_hessian_spec("preconditioned: true"), "", "probes.0",
                "spec.yaml:7:", "preconditioned needs an adam or adamw optimizer"}),
    [](const ::testing::TestParamInfo<Refused>& info) { return std::string(info.param.name); });

// The memory check's bounds are lower bounds, and tight ones: for every model kind of the shipped
// configs, the estimated weights are at most the built model's numbers and at least half of them.
TEST(Preflight, MemoryEstimatesBoundEveryShippedModelFromBelow) {
  int checked = 0;
  for (const char* config : {"grokking/mlp.yaml", "grokking/transformer.yaml", "icl/linear_regression.yaml",
                             "double_descent/random_features_fmnist.yaml", "double_descent/linear_samplewise.yaml",
                             "lottery/lenet_imp.yaml"}) {
    SCOPED_TRACE(config);
    Spec spec = load_spec(source_dir() + "/configs/" + config);
    Experiment ex = build_experiment(spec, Parts::kModel);
    double built = 0;
    for (const auto& p : ex.model->parameters()) built += static_cast<double>(p.numel());
    for (const auto& b : ex.model->buffers()) if (b.is_floating_point()) built += static_cast<double>(b.numel());
    const MemoryEstimate m = estimate_memory(spec);
    EXPECT_LE(m.parameter_count, built);
    EXPECT_GE(m.parameter_count, 0.5 * built);
    EXPECT_GT(m.total(), 0.0);
    EXPECT_LT(m.total(), memory_limit_bytes());  // every shipped config fits on this machine
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

// Every shipped config passes the preflight: its probes measure, and every metric its detectors,
// stop condition and expectations read is produced. Measuring leaves the global generator as it was.
TEST(Preflight, EveryShippedConfigPassesAndTheGeneratorIsUnchanged) {
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(source_dir() + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    // Smaller evaluation sets where a config allows it: the check is about names, not values.
    Spec spec = load_spec(entry.path().string());
    if (spec.protocol.type != "" || !spec.init_from.run.empty()) continue;  // rounds are checked as runs
    Experiment ex = build_experiment(spec);
    const torch::Tensor before = at::globalContext().defaultGenerator(torch::kCPU).get_state();
    EXPECT_NO_THROW(preflight(spec, {}, ex));
    EXPECT_TRUE(torch::equal(before, at::globalContext().defaultGenerator(torch::kCPU).get_state()));
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace phenom::testing
