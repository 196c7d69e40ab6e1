// End-to-end through the real binary: exit codes, the run directory, resume after kill -9 and
// Ctrl-C (byte-identical metrics), and a small grokking run that must grok.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>

#include <chrono>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_helpers.h"
#include "shipped_checks.h"

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

TEST(Cli, SmallGrokkingRunGroksAndWritesTheWholeRunDirectory) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec());
  CliResult r = run_cli("run spec.yaml --threads 1", tmp.path);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("grokked"), std::string::npos) << r.output;
  // Default location: runs/<name>/<hash8> relative to the current directory.
  ASSERT_TRUE(fs::exists(tmp / "runs/small-grok")) << r.output;
  std::string dir = fs::directory_iterator(tmp / "runs/small-grok")->path();
  EXPECT_EQ(fs::path(dir).filename().string().size(), 8u);
  for (const char* f : {"spec.yaml", "overrides.yaml", "meta.json", "metrics.jsonl", "metrics.csv", "summary.json",
                        "log.txt", "DONE", "checkpoints/last.pt", "checkpoints/step_100.pt", "checkpoints/step_300.pt"}) {
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  }
  Json summary = Json::parse(slurp(dir + "/summary.json"));
  EXPECT_EQ(summary["status"], "completed");
  EXPECT_TRUE(summary["grokking"]["detected"].get<bool>());
  EXPECT_GE(summary["grokking"]["lag_ratio"].get<double>(), 3.0);
  EXPECT_TRUE(summary["grokking"]["below_chance_at_step_train"].get<bool>() ||
              summary["grokking"]["test_acc_at_step_train"].get<double>() < 0.1);
  EXPECT_TRUE(summary["expectations_met"].get<bool>());
  // Mechanism: the first layer's neurons concentrate on single frequencies as the model groks
  // (seeds 0-2 of this system: median IPR 0.12 -> 0.75-0.77, a 6.2-6.5x rise).
  EXPECT_GE(summary["grokking"]["ipr_ratio"].get<double>(), 2.0);
  EXPECT_FALSE(summary["fourier"]["key_frequencies"].empty());
  // The run plots itself (setup.sh installs python3-matplotlib).
  EXPECT_TRUE(fs::exists(dir + "/plots/overview.png")) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/plots/accuracy.png"));
  Json meta = Json::parse(slurp(dir + "/meta.json"));
  EXPECT_EQ(meta["device"], "cpu");
  EXPECT_EQ(meta["threads"]["torch"], 1);
  // The resolved spec in the run directory resolves to itself.
  CliResult resolved = run_cli("resolve " + dir + "/spec.yaml");
  EXPECT_EQ(resolved.output, slurp(dir + "/spec.yaml"));
  // A finished run is reported, not redone.
  CliResult again = run_cli("run spec.yaml --threads 1", tmp.path);
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.output.find("already complete"), std::string::npos) << again.output;
}

TEST(Cli, InvalidSpecExits2WithEveryProblemAndCreatesNothing) {
  TempDir tmp;
  std::string spec = small_grokking_spec();
  spec.replace(spec.find("lr: 1.0e-2"), 10, "lr: -1");
  spec.replace(spec.find("width: 200"), 10, "widht: 200");
  write_text(tmp / "bad.yaml", spec);
  CliResult r = run_cli("run bad.yaml --out out", tmp.path);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("bad.yaml:5:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("optimizer.lr"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'width'"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp / "out"));
  EXPECT_FALSE(fs::exists(tmp / "runs"));
  EXPECT_EQ(run_cli("validate bad.yaml", tmp.path).code, 2);
  EXPECT_EQ(run_cli("run missing.yaml", tmp.path).code, 2);
  EXPECT_EQ(run_cli("run bad.yaml --threads 0", tmp.path).code, 2);  // CLI argument errors are bad input too
}

TEST(Cli, UnwritableOutputDirectoryExits2NamingThePath) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(10));
  write_text(tmp / "file", "not a directory");
  CliResult r = run_cli("run spec.yaml --no-plot --out file/run", tmp.path);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("file/run"), std::string::npos) << r.output;
}

TEST(Cli, CudaRequestedWithoutCudaExits2) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(10));
  CliResult r = run_cli("validate spec.yaml device=cuda", tmp.path);
  if (r.code == 0) GTEST_SKIP() << "this machine has CUDA";
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("CUDA"), std::string::npos) << r.output;
}

TEST(Cli, UnmetExpectationExits1AndSaysWhich) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(20));
  CliResult r = run_cli("run spec.yaml --no-plot --out out --threads 1", tmp.path);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  grokking.detected"), std::string::npos) << r.output;
  EXPECT_FALSE(Json::parse(slurp(tmp / "out/summary.json"))["expectations_met"].get<bool>());
}

TEST(Cli, DivergenceStopsWithStatusDivergedAndExit1) {
  TempDir tmp;
  std::string spec = small_grokking_spec(50);
  const std::string adamw = "{type: adamw, lr: 1.0e-2, betas: [0.9, 0.98], weight_decay: 5.0}";
  spec.replace(spec.find(adamw), adamw.size(), "{type: sgd, lr: 1.0e30}");
  write_text(tmp / "spec.yaml", spec);
  CliResult r = run_cli("run spec.yaml --no-plot --out out --threads 1", tmp.path);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("non-finite"), std::string::npos) << r.output;
  EXPECT_EQ(Json::parse(slurp(tmp / "out/summary.json"))["status"], "diverged");
  EXPECT_FALSE(fs::exists(tmp / "out/DONE"));
  EXPECT_NE(r.output.find("use dtype: float64"), std::string::npos) << r.output;
  // Already in float64: the fix does not suggest it again.
  CliResult again = run_cli("run spec.yaml dtype=float64 --no-plot --out out64 --threads 1", tmp.path);
  EXPECT_EQ(again.code, 1) << again.output;
  EXPECT_NE(again.output.find("non-finite"), std::string::npos) << again.output;
  EXPECT_EQ(again.output.find("use dtype: float64"), std::string::npos) << again.output;
}

TEST(Cli, ResolveOfItsOwnOutputIsIdentical) {
  TempDir tmp;
  CliResult first = run_cli("resolve " + source_dir() + "/configs/grokking/mlp.yaml optimizer.lr=3e-3");
  ASSERT_EQ(first.code, 0) << first.output;
  write_text(tmp / "resolved.yaml", first.output);
  EXPECT_EQ(run_cli("resolve " + tmp / "resolved.yaml").output, first.output);
  EXPECT_EQ(run_cli("list models").code, 0);
  EXPECT_NE(run_cli("--version").output.find("phenom"), std::string::npos);
}

TEST(Cli, KilledRunResumesToByteIdenticalMetrics) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(/*steps=*/1500, /*checkpoint_every=*/100));
  const std::string reference = reference_metrics(tmp, "spec.yaml");
  int status = run_and_signal(tmp, "spec.yaml", SIGKILL, /*min_rows=*/300);  // ~step 600 of 1500
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed; make it longer";
  EXPECT_FALSE(fs::exists(tmp / "resumed/DONE"));
  CliResult resumed = run_cli("run spec.yaml --no-plot --out resumed --threads 1", tmp.path);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming"), std::string::npos) << resumed.output;
  EXPECT_EQ(resumed.output.find("where it last ran with"), std::string::npos) << resumed.output;  // same plan
  EXPECT_EQ(slurp(tmp / "resumed/metrics.jsonl"), reference);
  // times.jsonl: one row per metrics row, same steps in order, the clock continuing across the kill.
  std::istringstream metrics(reference), times(slurp(tmp / "resumed/times.jsonl"));
  double previous = 0;
  size_t rows = 0;
  for (std::string m, t; std::getline(metrics, m);) {
    ASSERT_TRUE(std::getline(times, t)) << "times.jsonl ends before metrics.jsonl, at row " << rows;
    const std::string step = m.substr(0, m.find(','));  // {"step":N
    EXPECT_EQ(t.substr(0, t.find(',')), step);
    const double wall_time = std::stod(t.substr(t.find("\"wall_time\":") + 12));
    EXPECT_GE(wall_time, previous) << t;
    previous = wall_time;
    ++rows;
  }
  EXPECT_GT(previous, 0.0);
}

// Resuming under another thread plan works but says that the last bits may differ. (Width 2000:
// large enough that a budget of 2 gives the model 2 threads; a small model gets 1 either way, and
// the same plan under another budget resumes silently, as KilledRunResumesToByteIdenticalMetrics
// checks for the same budget.)
TEST(Cli, ResumeUnderAnotherThreadPlanWarns) {
  TempDir tmp;
  std::string spec = small_grokking_spec(/*steps=*/400, /*checkpoint_every=*/0);
  spec.replace(spec.find("width: 200"), 10, "width: 2000");
  spec.replace(spec.find("expect:"), std::string::npos, "");  // 400 steps: no grokking expected
  write_text(tmp / "spec.yaml", spec);
  int status = run_and_signal(tmp, "spec.yaml", SIGINT, /*min_rows=*/100);  // started with --threads 1
  ASSERT_TRUE(WIFEXITED(status)) << "signalled: " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << " "
                                 << slurp(tmp / "resumed/log.txt");
  ASSERT_EQ(WEXITSTATUS(status), 130);
  CliResult resumed = run_cli("run spec.yaml --no-plot --out resumed --threads 2", tmp.path);
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("where it last ran with threads"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("pass the original --threads"), std::string::npos) << resumed.output;
}

// A run resumed on another kind of CPU (oneDNN picks its kernels from the ISA) says so, even under
// the same thread plan; meta.json records the CPU it ran on.
TEST(Cli, ResumeOnAnotherKindOfCpuWarns) {
  TempDir tmp;
  std::string spec = small_grokking_spec(/*steps=*/1500, /*checkpoint_every=*/100);
  spec.replace(spec.find("expect:"), std::string::npos, "");
  write_text(tmp / "spec.yaml", spec);
  const int status = run_and_signal(tmp, "spec.yaml", SIGINT, /*min_rows=*/100);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << slurp(tmp / "resumed/log.txt");
  Json meta = Json::parse(slurp(tmp / "resumed/meta.json"));
  ASSERT_TRUE(meta.contains("cpu")) << meta.dump();
  EXPECT_NE(meta["cpu"].get<std::string>().find("("), std::string::npos) << meta["cpu"];  // "model (isa)"
  meta["cpu"] = "Another CPU (avx512f)";
  write_text(tmp / "resumed/meta.json", meta.dump());
  CliResult resumed = run_cli("run spec.yaml --no-plot --out resumed --threads 1", tmp.path);
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("Another CPU (avx512f)"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("on the same kind of CPU"), std::string::npos) << resumed.output;
}

// A stop signal must never land in the middle of oneDNN's JIT GEMM code: it used to corrupt the
// heap in ~1 of 8 interrupted runs (abort). Eight interrupted oneDNN runs must all exit 130.
TEST(Cli, InterruptedRunsNeverAbort) {
  std::string spec = small_grokking_spec(/*steps=*/400, /*checkpoint_every=*/0);
  spec.replace(spec.find("width: 200"), 10, "width: 2000");  // matmul-heavy, so the signal lands in sgemm
  spec.replace(spec.find("expect:"), std::string::npos, "");
  for (int attempt = 0; attempt < 8; ++attempt) {
    TempDir tmp;
    write_text(tmp / "spec.yaml", spec);
    int status = run_and_signal(tmp, "spec.yaml", SIGINT, /*min_rows=*/20 + 10 * attempt);
    ASSERT_TRUE(WIFEXITED(status)) << "attempt " << attempt << ": ended by signal "
                                   << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(WEXITSTATUS(status), 130) << "attempt " << attempt;
  }
}

TEST(Cli, InterruptCheckpointsExits130AndResumesExactly) {
  TempDir tmp;
  // Minibatches this time: the batch order must continue exactly mid-epoch.
  std::string spec = small_grokking_spec(/*steps=*/1500, /*checkpoint_every=*/0);
  spec.replace(spec.find("loss: mse"), 9, "loss: mse, batch_size: 100");
  write_text(tmp / "spec.yaml", spec);
  const std::string reference = reference_metrics(tmp, "spec.yaml");
  int status = run_and_signal(tmp, "spec.yaml", SIGINT, /*min_rows=*/200);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_EQ(Json::parse(slurp(tmp / "resumed/summary.json"))["status"], "interrupted");
  EXPECT_TRUE(fs::exists(tmp / "resumed/checkpoints/last.pt"));  // written on the signal, not by cadence
  CliResult resumed = run_cli("run spec.yaml --no-plot --out resumed --threads 1", tmp.path);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(slurp(tmp / "resumed/metrics.jsonl"), reference);
}

TEST(Cli, SameSeedSameMetricsDifferentSeedDifferent) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(60));
  for (const char* out : {"a", "b"}) ASSERT_EQ(run_cli(std::string("run spec.yaml --no-plot --quiet --threads 1 --out ") + out, tmp.path).code, 1);
  EXPECT_EQ(slurp(tmp / "a/metrics.jsonl"), slurp(tmp / "b/metrics.jsonl"));
  run_cli("run spec.yaml --no-plot --quiet --threads 1 --out c seed=1", tmp.path);
  EXPECT_NE(slurp(tmp / "a/metrics.jsonl"), slurp(tmp / "c/metrics.jsonl"));
}

TEST(Cli, SpecMismatchInAnExistingDirectoryIsRefusedUnlessFresh) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(10));
  run_cli("run spec.yaml --no-plot --quiet --out out", tmp.path);
  CliResult r = run_cli("run spec.yaml --no-plot --quiet --out out seed=3", tmp.path);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("different spec"), std::string::npos) << r.output;
  EXPECT_NE(run_cli("run spec.yaml --no-plot --quiet --out out seed=3 --fresh", tmp.path).code, 2);
}

}  // namespace
}  // namespace phenom::testing

namespace phenom::testing {
namespace {

// The grokking MLP configs, run as shipped: each must meet its own `expect:` block (exit 0).
// Together ~1.5 minutes on 2 cores; the transformer configs take minutes and are run by hand.
class GrokkingConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(GrokkingConfig, MeetsItsExpectations) {
  TempDir tmp;
  CliResult r = run_cli("run " + source_dir() + "/configs/grokking/" + GetParam() + ".yaml --out run --no-plot", tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("expectations met"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Configs, GrokkingConfig,
                         ::testing::Values("mlp", "mlp_cross_entropy", "mlp_no_weight_decay", "mlp_fixed_norm",
                                           "mlp_low_fraction"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// The edge of stability, as shipped (seed 0, ~1 minute on 2 cores): progressive sharpening to
// 2/lr, the plateau, a non-monotone but falling loss (its expectations).
TEST(Configs, EdgeOfStabilityMeetsItsExpectations) {
  TempDir tmp;
  CliResult r = run_cli("run " + source_dir() + "/configs/sharpness/edge_of_stability.yaml --out run --no-plot", tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("all 7 expectations met"), std::string::npos) << r.output;
}

// S-T2 as shipped, seed 0 (two runs, about 2.2 minutes with two jobs): the plateau sharpness
// follows 2/lr within 20% and both runs keep the base config's expectations.
TEST(Configs, EdgeOfStabilityPlateauFollowsTwoOverLr) {
  TempDir tmp;
  expect_plateau_follows_two_over_lr(shipped_sweep(tmp, "sharpness/eos_lr_sweep.yaml", "", "edge-of-stability-lr"));
}

// The shipped sweep on seeds 0-2 (the config's five seeds take about 3 minutes): in every seed the
// large batch is over 2x sharper than the small one, SAM flatter and within 0.5 pp as accurate.
TEST(Configs, BatchSizeSamSweepShowsSharpAndFlatMinima) {
  TempDir tmp;
  expect_sharp_and_flat_minima(shipped_sweep(tmp, "sharpness/batch_size_sam.yaml", "seed=0,1,2", "batch-size-sam"), 3);
}

TEST(Configs, EveryShippedConfigValidates) {
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(source_dir() + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    CliResult r = run_cli("validate " + entry.path().string());
    EXPECT_EQ(r.code, 0) << entry.path() << ": " << r.output;
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace phenom::testing
