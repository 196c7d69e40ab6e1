// Sweeps: grid expansion, the frozen manifest, local execution with --jobs, idempotent re-runs,
// failure isolation, --index and aggregation across seeds.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_helpers.h"
#include "core/error.h"
#include "sweep/grid.h"

namespace phenom {
namespace {

TEST(SweepGrid, CartesianProductRangesAndCommandLinePrecedence) {
  // Spec block: seed [0, 1], lr [1e-3, 1e-2]; the command line replaces the seeds with a range,
  // adds a width axis and fixes lr (removing that axis).
  std::vector<std::pair<std::string, std::vector<std::string>>> spec_axes = {{"seed", {"0", "1"}},
                                                                              {"optimizer.lr", {"1e-3", "1e-2"}}};
  SweepPlan plan = plan_sweep(spec_axes, {"seed=range(0,6,2)", "model.width=16,32", "optimizer.lr=3e-3",
                                          "optimizer.betas=[0.9,0.98]"});
  ASSERT_EQ(plan.axes.size(), 2u);
  EXPECT_EQ(plan.axes[0].key, "seed");
  EXPECT_EQ(plan.axes[0].values, (std::vector<std::string>{"0", "2", "4"}));
  EXPECT_EQ(plan.axes[1].values, (std::vector<std::string>{"16", "32"}));
  EXPECT_EQ(plan.fixed, (std::vector<std::string>{"optimizer.lr=3e-3", "optimizer.betas=[0.9,0.98]"}));
  ASSERT_EQ(plan.jobs.size(), 6u);
  EXPECT_EQ(plan.jobs[0], (std::vector<std::string>{"optimizer.lr=3e-3", "optimizer.betas=[0.9,0.98]", "seed=0", "model.width=16"}));
  EXPECT_EQ(plan.jobs[5].back(), "model.width=32");
  EXPECT_EQ(plan.jobs[5][2], "seed=4");
  EXPECT_THROW(plan_sweep({}, {"seed=range(0)"}), BadInput);
  EXPECT_THROW(plan_sweep({}, {"seed=range(3,1)"}), BadInput);
  EXPECT_EQ(plan_sweep({}, {}).jobs.size(), 1u);  // no axes: one job
}

}  // namespace
}  // namespace phenom

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// A fast spec: the small grokking MLP for 40 steps (memorises, does not yet generalise).
std::string sweep_spec(bool with_trend = false) {
  return small_grokking_spec(40, 20) + "sweep: {seed: [0, 1]}\n" +
         (with_trend ? "sweep_detectors: [{type: trend, x: model.width, y: grokking.step_train}]\n" : "");
}

std::string find_sweep_dir(const std::string& root) { return sweep_dir_in(root + "/small-grok"); }

TEST(Sweep, RunsTheGridOnceThenOnlyWhatIsNotDone) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", sweep_spec(/*with_trend=*/true));
  // 2 seeds x 2 widths, two at a time. The runs do not grok in 40 steps: each expectation fails
  // in every run, so the sweep exits 1 with the runs themselves done.
  CliResult r = run_cli("sweep spec.yaml model.width=100,200 --jobs 2", tmp.path);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("4 to run"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("final.test/acc >= 0.95: passed in 0 of 4 runs"), std::string::npos) << r.output;
  std::string sweep = find_sweep_dir(tmp / "runs");
  ASSERT_FALSE(sweep.empty());
  std::string manifest = slurp(sweep + "/manifest.jsonl");
  EXPECT_EQ(std::count(manifest.begin(), manifest.end(), '\n'), 4);
  std::string csv = slurp(sweep + "/sweep.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header + 4 rows
  EXPECT_EQ(csv.rfind("index,seed,model.width,state,status,wall_seconds,", 0), 0u) << csv;
  Json summary = Json::parse(slurp(sweep + "/summary.json"));
  EXPECT_EQ(summary["done"], 4);
  EXPECT_EQ(summary["expect"]["grokking.detected true"]["of"], 4);
  // The sweep-level trend: step_train per width, two seeds each.
  ASSERT_EQ(summary["trend"]["points"].size(), 2u) << summary.dump();
  EXPECT_EQ(summary["trend"]["points"][0]["x"], 100.0);
  EXPECT_EQ(summary["trend"]["points"][0]["n"], 2);
  EXPECT_LE(summary["trend"]["points"][0]["min"].get<double>(), summary["trend"]["points"][0]["max"].get<double>());
  // Every job is an ordinary run directory, content-addressed.
  size_t runs = 0;
  for (const auto& entry : fs::directory_iterator(tmp / "runs/small-grok")) {
    runs += fs::exists(entry.path() / "DONE");
  }
  EXPECT_EQ(runs, 4u);
  // The sweep's name is the hash of its runs' hashes; pinned so that a change to hashing (which
  // would orphan every existing sweep) is deliberate.
  EXPECT_EQ(fs::path(sweep).filename().string(), "sweep-39ec3b74");
  // The sweep drew its figures at the end: each final metric against the width, the curves of all runs.
  EXPECT_TRUE(fs::exists(sweep + "/plots/test_acc_vs_model_width.png")) << r.output;
  EXPECT_TRUE(fs::exists(sweep + "/plots/curves_test_acc.png")) << r.output;
  fs::remove_all(sweep + "/plots");
  CliResult plot = run_cli("plot " + sweep, tmp.path);
  EXPECT_EQ(plot.code, 0) << plot.output;
  EXPECT_TRUE(fs::exists(sweep + "/plots/test_acc_vs_model_width.png")) << plot.output;
  EXPECT_TRUE(fs::exists(sweep + "/plots/curves_test_acc.png")) << plot.output;
  // Re-running the same sweep executes nothing and lands in the same sweep directory.
  CliResult again = run_cli("sweep spec.yaml model.width=100,200 --jobs 2", tmp.path);
  EXPECT_NE(again.output.find("4 already done, 0 to run"), std::string::npos) << again.output;
  EXPECT_EQ(find_sweep_dir(tmp / "runs"), sweep);
  CliResult status = run_cli("sweep spec.yaml model.width=100,200 --status", tmp.path);
  EXPECT_NE(status.output.find("4 done"), std::string::npos) << status.output;
  // --status writes nothing: not the sweep directory of a grid never run, nor its runs.
  auto entries = [&] {
    size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(tmp / "runs"); it != fs::recursive_directory_iterator(); ++it) ++n;
    return n;
  };
  const size_t before = entries();
  CliResult unseen = run_cli("sweep spec.yaml model.width=700,800 --status", tmp.path);
  EXPECT_NE(unseen.output.find("4 pending"), std::string::npos) << unseen.output;
  EXPECT_EQ(entries(), before);
  // A different grid is a different sweep, sharing the runs it has in common.
  CliResult wider = run_cli("sweep spec.yaml model.width=100,200,300 --jobs 2 --quiet", tmp.path);
  EXPECT_EQ(wider.code, 1);
  size_t sweeps = 0;
  for (const auto& entry : fs::directory_iterator(tmp / "runs/small-grok")) {
    sweeps += entry.path().filename().string().rfind("sweep-", 0) == 0;
  }
  EXPECT_EQ(sweeps, 2u);
}

TEST(Sweep, AFailingJobDoesNotStopTheOthersUnlessFailFast) {
  TempDir tmp;
  std::string spec = sweep_spec();
  const std::string adamw = "{type: adamw, lr: 1.0e-2, betas: [0.9, 0.98], weight_decay: 5.0}";
  spec.replace(spec.find(adamw), adamw.size(), "{type: sgd, lr: 1.0e-2}");
  write_text(tmp / "spec.yaml", spec);
  // lr 1e30 diverges; the other two jobs must still complete.
  CliResult r = run_cli("sweep spec.yaml optimizer.lr=1e30,0.01 seed=0 --jobs 1", tmp.path);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("failed jobs: [0]"), std::string::npos) << r.output;
  Json summary = Json::parse(slurp(find_sweep_dir(tmp / "runs") + "/summary.json"));
  EXPECT_EQ(summary["done"], 1);
  // --index runs exactly one job of the manifest.
  TempDir other;
  write_text(other / "spec.yaml", spec);
  CliResult one = run_cli("sweep spec.yaml optimizer.lr=0.01,0.02 seed=0 --index 1 --quiet", other.path);
  EXPECT_NE(one.code, 2) << one.output;
  CliResult status = run_cli("sweep spec.yaml optimizer.lr=0.01,0.02 seed=0 --status", other.path);
  EXPECT_NE(status.output.find("1 done"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("1 pending"), std::string::npos) << status.output;
  EXPECT_EQ(run_cli("sweep spec.yaml seed=0 --index 5", other.path).code, 2);
  // --fail-fast with one job at a time: the failure comes first and nothing else starts.
  TempDir fast;
  write_text(fast / "spec.yaml", spec);
  CliResult ff = run_cli("sweep spec.yaml optimizer.lr=1e30,0.01,0.02 seed=0 --jobs 1 --fail-fast", fast.path);
  EXPECT_EQ(ff.code, 1);
  EXPECT_NE(ff.output.find("0 of 3 jobs done"), std::string::npos) << ff.output;
}

TEST(Sweep, AnInvalidJobIsReportedBeforeAnythingRuns) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", sweep_spec());
  CliResult r = run_cli("sweep spec.yaml optimizer.lr=0.01,-1", tmp.path);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("sweep job 1"), std::string::npos) << r.output;
  // A sweep-level detector over a key that is not swept (the trend needs model.width).
  write_text(tmp / "spec.yaml", sweep_spec(/*with_trend=*/true));
  CliResult unswept = run_cli("sweep spec.yaml", tmp.path);
  EXPECT_EQ(unswept.code, 2) << unswept.output;
  EXPECT_NE(unswept.output.find("not a swept key"), std::string::npos) << unswept.output;
  EXPECT_FALSE(fs::exists(tmp / "runs"));
}

}  // namespace
}  // namespace phenom::testing

namespace phenom::testing {
namespace {

TEST(Sweep, InterruptedSweepResumesWithoutRedoingFinishedJobs) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(1500, 100) + "sweep: {seed: [0, 1]}\n");
  pid_t pid = spawn_phenom(tmp.path, {"sweep", "spec.yaml", "--jobs", "1"});
  // Interrupt once the first job has finished (one DONE among the runs).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool one_done = false;
  while (!one_done && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!fs::exists(tmp / "runs/small-grok")) continue;
    for (const auto& e : fs::directory_iterator(tmp / "runs/small-grok")) one_done |= fs::exists(e.path() / "DONE");
  }
  ASSERT_TRUE(one_done);
  // Wait until the second job is training (it has logged rows), then interrupt the sweep.
  bool training = false;
  while (!training && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const auto& e : fs::directory_iterator(tmp / "runs/small-grok")) {
      if (fs::exists(e.path() / "DONE") || !fs::exists(e.path() / "metrics.jsonl")) continue;
      std::string rows = slurp(e.path() / "metrics.jsonl");
      training |= std::count(rows.begin(), rows.end(), '\n') >= 50;
    }
  }
  ASSERT_TRUE(training);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  CliResult state = run_cli("sweep spec.yaml --status", tmp.path);
  EXPECT_NE(state.output.find("1 done"), std::string::npos) << state.output;
  EXPECT_NE(state.output.find("1 interrupted"), std::string::npos) << state.output;
  CliResult resumed = run_cli("sweep spec.yaml --jobs 1", tmp.path);
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("1 already done, 1 to run"), std::string::npos) << resumed.output;
}

}  // namespace
}  // namespace phenom::testing
