// Never lose a run: divergence of any kind ends as `diverged`; failed writes stop the run and
// leave nothing a later run trusts; damaged checkpoints and lost metric rows are detected; --fresh
// never clears a live or foreign directory; duplicate sweep jobs are one job.
#include <gtest/gtest.h>
#include <sys/file.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Files a failed atomic write could leave behind.
std::vector<std::string> temporaries(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().filename().string().find(".tmp") != std::string::npos) found.push_back(entry.path().string());
  }
  return found;
}

TEST(Durability, OverflowUnderMseEndsAsDivergedWithTheHint) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(100));
  CliResult r = run_cli("run spec.yaml optimizer.lr=1 --no-plot --out out --threads 1", tmp.path);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("diverged"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Fix: lower optimizer.lr"), std::string::npos) << r.output;
  const Json summary = Json::parse(slurp(tmp / "out/summary.json"));
  EXPECT_EQ(summary["status"], "diverged");
  EXPECT_LT(summary["steps"].get<int>(), 100);
  // A second invocation reports it instead of training again; a sweep lists it as failed.
  CliResult again = run_cli("run spec.yaml optimizer.lr=1 --no-plot --out out --threads 1", tmp.path);
  EXPECT_NE(again.output.find("already complete"), std::string::npos) << again.output;
  CliResult sweep = run_cli("sweep spec.yaml optimizer.lr=1,1e-2 --root sw --threads 1 --quiet", tmp.path);
  EXPECT_EQ(sweep.code, 1) << sweep.output;
  CliResult status = run_cli("sweep spec.yaml optimizer.lr=1,1e-2 --root sw --status", tmp.path);
  EXPECT_NE(status.output.find("0\tfailed"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("1\tdone"), std::string::npos) << status.output;
}

// A disk that fills at the N-th write, fsync or rename of a run (injected), at points spread over
// the whole run (spec files, metric rows, checkpoints, the summary): the run stops with exit 2
// naming the OS error, leaves no temporary file, and the same command afterwards finishes it with
// exactly the metrics of an uninterrupted run.
TEST(Durability, AFullDiskStopsTheRunAndTheSameCommandFinishesItExactly) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(300, 100));
  const std::string reference = reference_metrics(tmp, "spec.yaml");
  for (int n : {0, 2, 5, 9, 40, 100, 150, 175, 185, 200, 215}) {
    SCOPED_TRACE("the disk fills after " + std::to_string(n) + " operations");
    const std::string out = "out" + std::to_string(n), args = "run spec.yaml --no-plot --quiet --threads 1 --out " + out;
    CliResult failed = run_cli(args, tmp.path, "PHENOM_FAIL_IO_AFTER=" + std::to_string(n));
    EXPECT_EQ(failed.code, 2) << failed.output;
    EXPECT_NE(failed.output.find("No space left on device"), std::string::npos) << failed.output;
    EXPECT_FALSE(fs::exists(tmp / (out + "/DONE")));
    if (fs::exists(tmp / out)) EXPECT_EQ(temporaries(tmp / out), std::vector<std::string>{});
    CliResult resumed = run_cli(args, tmp.path);
    ASSERT_EQ(resumed.code, 0) << resumed.output;
    EXPECT_TRUE(slurp(tmp / (out + "/metrics.jsonl")) == reference) << resumed.output;
  }
}

// A one-bit flip in last.pt and a truncated newest step_<N>.pt are both detected by their seal;
// the run resumes from the newest intact checkpoint, with exactly the uninterrupted metrics.
TEST(Durability, DamagedCheckpointsAreRefusedAndTheRunFallsBackToAnIntactOne) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(1500, 100));
  const std::string reference = reference_metrics(tmp, "spec.yaml");
  int status = run_and_signal(tmp, "spec.yaml", SIGKILL, /*min_rows=*/400);  // ~step 800 of 1500
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed; make it longer";
  std::vector<int64_t> steps;
  for (const auto& e : fs::directory_iterator(tmp / "resumed/checkpoints")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step_", 0) == 0 && e.path().extension() == ".pt") steps.push_back(std::stoll(name.substr(5)));
  }
  std::sort(steps.begin(), steps.end());
  ASSERT_GE(steps.size(), 3u);
  {
    std::string last = slurp(tmp / "resumed/checkpoints/last.pt");
    last[last.size() / 2] ^= 0x10;
    write_text(tmp / "resumed/checkpoints/last.pt", last);
    const std::string newest = tmp / ("resumed/checkpoints/step_" + std::to_string(steps.back()) + ".pt");
    fs::resize_file(newest, fs::file_size(newest) / 2);
  }
  CliResult resumed = run_cli("run spec.yaml --no-plot --out resumed --threads 1", tmp.path);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("CRC-32 mismatch"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("truncated"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("from step " + std::to_string(steps[steps.size() - 2])), std::string::npos)
      << resumed.output;
  EXPECT_TRUE(slurp(tmp / "resumed/metrics.jsonl") == reference);
}

// Rows lost from the middle of metrics.jsonl: every checkpoint after the hole vouches for more
// rows than there are, so the run resumes from before it and ends with the full metrics.
TEST(Durability, LostMetricRowsAreDetectedAndRetrained) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(1500, 100));
  const std::string reference = reference_metrics(tmp, "spec.yaml");
  int status = run_and_signal(tmp, "spec.yaml", SIGKILL, /*min_rows=*/400);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed; make it longer";
  std::istringstream in(slurp(tmp / "resumed/metrics.jsonl"));
  std::string line, kept;
  for (int row = 0; std::getline(in, line); ++row) {
    if (row < 60 || row >= 78) kept += line + "\n";  // rows of steps ~118-154 are lost
  }
  write_text(tmp / "resumed/metrics.jsonl", kept);
  CliResult resumed = run_cli("run spec.yaml --no-plot --out resumed --threads 1", tmp.path);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("rows were lost"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("from step 100"), std::string::npos) << resumed.output;
  EXPECT_TRUE(slurp(tmp / "resumed/metrics.jsonl") == reference);
}

TEST(Durability, FreshNeverClearsALiveRunOrADirectoryPhenomDidNotCreate) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(200000, 100000));
  pid_t live = spawn_phenom(tmp.path, {"run", "spec.yaml", "--no-plot", "--out", "live", "--threads", "1"});
  for (int i = 0; i < 3000 && slurp(tmp / "live/metrics.jsonl").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CliResult fresh = run_cli("run spec.yaml --no-plot --fresh --out live --threads 1", tmp.path);
  CliResult second = run_cli("run spec.yaml --no-plot --out live --threads 1", tmp.path);  // without --fresh too
  const bool spec_kept = fs::exists(tmp / "live/spec.yaml"), metrics_kept = !slurp(tmp / "live/metrics.jsonl").empty();
  kill(live, SIGKILL);
  waitpid(live, nullptr, 0);
  EXPECT_EQ(fresh.code, 2) << fresh.output;
  EXPECT_NE(fresh.output.find("another phenom process"), std::string::npos) << fresh.output;
  EXPECT_EQ(second.code, 2) << second.output;
  EXPECT_NE(second.output.find("another phenom process"), std::string::npos) << second.output;
  EXPECT_TRUE(spec_kept);
  EXPECT_TRUE(metrics_kept);

  // A directory of the user's: refused with and without --fresh, its files untouched.
  fs::create_directories(tmp / "mine/checkpoints");
  write_text(tmp / "mine/log.txt", "my notes\n");
  write_text(tmp / "mine/checkpoints/keep.bin", "x");
  write_text(tmp / "mine/other.txt", "mine\n");
  write_text(tmp / "small.yaml", small_grokking_spec(10));
  for (const char* flag : {"", "--fresh"}) {
    CliResult r = run_cli(std::string("run small.yaml --no-plot --quiet --out mine ") + flag, tmp.path);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("not a run directory that phenom created"), std::string::npos) << r.output;
    EXPECT_EQ(slurp(tmp / "mine/log.txt"), "my notes\n");
    EXPECT_TRUE(fs::exists(tmp / "mine/checkpoints/keep.bin"));
  }
  // Named explicitly: phenom's file names are replaced, nothing else.
  // (10 steps do not grok: exit 1 for the unmet expectations, with the run complete.)
  CliResult forced = run_cli("run small.yaml --no-plot --quiet --out mine --force-fresh", tmp.path);
  EXPECT_EQ(forced.code, 1) << forced.output;
  EXPECT_EQ(slurp(tmp / "mine/other.txt"), "mine\n");
  EXPECT_TRUE(fs::exists(tmp / "mine/DONE"));
  // And then it is a run: --fresh works there.
  EXPECT_EQ(run_cli("run small.yaml --no-plot --quiet --out mine --fresh", tmp.path).code, 1);
  EXPECT_TRUE(fs::exists(tmp / "mine/DONE"));
}

TEST(Durability, DuplicateSweepGridPointsAreOneJob) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(10));
  CliResult r = run_cli("sweep spec.yaml seed=0,0 optimizer.lr=1e-2,0.01 optimizer.weight_decay=0.0,-0.0 --root sw --threads 1",
                        tmp.path);  // -0.0 is 0.0
  EXPECT_NE(r.output.find("resolve to the same spec"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 jobs"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 of 1 jobs done"), std::string::npos) << r.output;
  int manifests = 0;
  for (const auto& e : fs::recursive_directory_iterator(tmp / "sw")) {
    if (e.path().filename() == "manifest.jsonl") {
      ++manifests;
      const std::string text = slurp(e.path().string());
      EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    }
  }
  EXPECT_EQ(manifests, 1);
  write_text(tmp / "empty.yaml", small_grokking_spec(10) + "sweep: {seed: []}\n");
  CliResult empty = run_cli("sweep empty.yaml --root sw --threads 1", tmp.path);
  EXPECT_EQ(empty.code, 2) << empty.output;
  EXPECT_NE(empty.output.find("has no jobs: the axis seed has no values"), std::string::npos) << empty.output;
  // Two different runs whose 8-digit hashes collide (found in a 200,000-seed grid of this spec)
  // would share a directory: refused, not merged.
  write_text(tmp / "collide.yaml", "name: x\ndevice: cpu\ntask: {type: modular_arithmetic, modulus: 23}\n"
                                   "model: {type: mlp, width: 64}\noptimizer: {type: adamw, lr: 1.0e-3}\n"
                                   "train: {steps: 10}\n");
  CliResult collide = run_cli("sweep collide.yaml seed=17821,76914 --root sw --status", tmp.path);
  EXPECT_EQ(collide.code, 2) << collide.output;
  EXPECT_NE(collide.output.find("hash collides (25ebaaaf)"), std::string::npos) << collide.output;
}

// A job whose directory another process holds (a second sweep on the same directory, or a
// `phenom run` of it) is said to run elsewhere, not counted as failed; the same command later runs it.
TEST(Durability, AJobAnotherProcessHoldsIsRunningElsewhereNotFailed) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(10));
  ASSERT_EQ(run_cli("run spec.yaml seed=0 --stop-at 1 --quiet --no-plot --threads 1", tmp.path).code, 130);
  const std::string job0 = "sw/small-grok/" + fs::directory_iterator(tmp / "runs/small-grok")->path().filename().string();
  fs::create_directories(tmp / job0);
  const int held = open((tmp / (job0 + "/.lock")).c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_EQ(flock(held, LOCK_EX | LOCK_NB), 0);
  const CliResult r = run_cli("sweep spec.yaml seed=0,1 --root sw --threads 1 --no-plot", tmp.path);
  close(held);
  EXPECT_NE(r.output.find("job 0 is running in another process"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("FAILED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 job(s) were running in another process"), std::string::npos) << r.output;
  run_cli("sweep spec.yaml seed=0,1 --root sw --threads 1 --no-plot --quiet", tmp.path);
  const CliResult status = run_cli("sweep spec.yaml seed=0,1 --root sw --status", tmp.path);
  EXPECT_NE(status.output.find("0\tdone"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("1\tdone"), std::string::npos) << status.output;
}

// Fault injection is the test build's alone: the shipped phenom ignores its variables.
TEST(Durability, TheShippedBinaryHasNoFaultInjection) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(10));
  const std::string shipped = std::string("cd '") + tmp.path + "' && env PHENOM_KILL_IO_AFTER=0 PHENOM_FAIL_IO_AFTER=0 " +
                              PHENOM_SHIPPED_BINARY + " run spec.yaml --no-plot --quiet --out out --threads 1 >/dev/null 2>&1";
  const int status = std::system(shipped.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);  // complete; 10 steps do not grok
  EXPECT_TRUE(fs::exists(tmp / "out/DONE"));
  EXPECT_EQ(run_cli("run spec.yaml --no-plot --quiet --out faulty --threads 1", tmp.path, "PHENOM_FAIL_IO_AFTER=0").code, 2);
}

}  // namespace
}  // namespace phenom::testing
