// kill -9 anywhere: at chosen I/O operations of a run (every operation of a checkpoint write
// among them) and at points of a sweep. The same command afterwards ends with exactly the metrics
// of uninterrupted runs, and a job that failed before its run directory existed is `failed`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <iostream>

#include "cli_helpers.h"

namespace phenom::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// The checked operations (write, fsync, rename) of one run, in order, as the fault injection
// numbers them: a full disk after N operations names the N-th's path in its error. Each such
// failure also stops the run with exit 2 and leaves no temporary.
std::string operation_path(const TempDir& tmp, int n) {
  const std::string out = "probe" + std::to_string(n);
  CliResult r = run_cli("run spec.yaml --no-plot --quiet --threads 1 --out " + out, tmp.path,
                        "PHENOM_FAIL_IO_AFTER=" + std::to_string(n));
  EXPECT_EQ(r.code, 2) << "a full disk after " << n << " operations: " << r.output;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(tmp / out, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    EXPECT_EQ(it->path().filename().string().find(".tmp."), std::string::npos) << it->path();
  }
  const size_t at = r.output.find("cannot ");
  return at == std::string::npos ? "" : r.output.substr(at, r.output.find('\n', at) - at);
}

// PHENOM_KILL_IO_AFTER=N: the run kills itself (SIGKILL) just before its N-th checked operation.
// The small grokking spec without its detector and expectations (too few steps to grok).
std::string short_spec(int steps, int checkpoint_every) {
  std::istringstream lines(small_grokking_spec(steps, checkpoint_every));
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("detectors:", 0) != 0 && line.rfind("expect:", 0) != 0) out += line + "\n";
  }
  return out;
}

TEST(Kills, AKill9AtEveryOperationOfACheckpointWriteResumesExactly) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", short_spec(60, 20));
  const std::string reference = reference_metrics(tmp, "spec.yaml");
  // The operations of the checkpoint at step 20: the first and last whose error names it.
  int first = -1, last = -1;
  for (int n = 0; n < 200 && (first < 0 || last == n - 1); ++n) {
    const std::string what = operation_path(tmp, n);
    const bool checkpoint = what.find("checkpoints/") != std::string::npos;
    if (checkpoint && first < 0) first = n;
    if (checkpoint && first >= 0) last = n;
  }
  ASSERT_GE(first, 0) << "no checkpoint write found among the first 200 operations";
  ASSERT_GE(last - first, 8) << "a checkpoint write is several files, each written, synced and renamed";
  std::cout << "the checkpoint at step 20 is operations " << first << " to " << last << "\n";
  std::vector<int> points;
  for (int n = first; n <= last; ++n) points.push_back(n);
  for (int n : {0, 3, first / 2, last + 5, last + 40}) points.push_back(n);  // spec files, metric rows, later
  for (int n : points) {
    SCOPED_TRACE("killed before operation " + std::to_string(n));
    const std::string out = "out" + std::to_string(n), args = "run spec.yaml --no-plot --quiet --threads 1 --out " + out;
    CliResult killed = run_cli(args, tmp.path, "PHENOM_KILL_IO_AFTER=" + std::to_string(n));
    EXPECT_EQ(killed.code, 128 + SIGKILL) << "not killed: " << killed.output;  // as the shell reports it
    CliResult resumed = run_cli(args, tmp.path);
    ASSERT_EQ(resumed.code, 0) << resumed.output;
    EXPECT_TRUE(slurp(tmp / (out + "/metrics.jsonl")) == reference);
    for (const auto& entry : fs::recursive_directory_iterator(tmp / out)) {
      EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
    }
  }
}

// Metric rows written so far by the sweep's runs, summed.
size_t sweep_rows(const TempDir& tmp) {
  size_t rows = 0;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(tmp / "sw", error); it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (error) break;
    if (it->path().filename() == "metrics.jsonl") {
      const std::string text = slurp(it->path().string());
      rows += static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    }
  }
  return rows;
}

TEST(Kills, AKill9OfASweepAndItsJobsResumesEveryRunExactly) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(1200, 100));
  std::map<std::string, std::string> reference;
  for (const char* seed : {"0", "1"}) {
    CliResult r = run_cli(std::string("run spec.yaml seed=") + seed + " --no-plot --quiet --threads 1 --out ref" + seed,
                          tmp.path);
    ASSERT_TRUE(fs::exists(tmp / (std::string("ref") + seed + "/DONE"))) << r.output;
    reference[seed] = slurp(tmp / (std::string("ref") + seed + "/metrics.jsonl"));
  }
  const std::vector<std::string> sweep = {"sweep", "spec.yaml", "seed=0,1", "--root", "sw", "--threads", "1", "--quiet"};
  // Killed twice: in the middle of the first job, then in the middle of the second.
  for (size_t rows : {250u, 900u}) {
    SCOPED_TRACE("killed at " + std::to_string(rows) + " metric rows");
    pid_t group = spawn_phenom(tmp.path, sweep, /*own_group=*/true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (sweep_rows(tmp) < rows && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill(-group, SIGKILL);
    int status = 0;
    waitpid(group, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep finished before it could be killed; make it longer";
  }
  CliResult finished = run_cli("sweep spec.yaml seed=0,1 --root sw --threads 1", tmp.path);
  EXPECT_NE(finished.output.find("2 of 2 jobs done"), std::string::npos) << finished.output;
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(tmp / "sw")) {
    if (e.path().filename() != "spec.yaml") continue;
    const std::string dir = e.path().parent_path().string(), spec = slurp(e.path().string());
    const std::string seed = spec.find("seed: 1") != std::string::npos ? "1" : "0";
    EXPECT_TRUE(slurp(dir + "/metrics.jsonl") == reference[seed]) << dir;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

// A job refused before step 0 (its detector reads a metric no probe produces) leaves no run
// directory: the sweep records it beside its log, and --status, sweep.csv and the summary say failed.
TEST(Kills, AJobThatFailsBeforeItsRunDirectoryExistsIsFailedEverywhere) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(20, 10));
  const std::string grid = "sweep spec.yaml detectors.0.test_metric=test/acc,test/accuracy expect={} --root sw --threads 1";
  CliResult r = run_cli(grid + " --quiet", tmp.path);
  EXPECT_EQ(r.code, 1) << r.output;
  CliResult status = run_cli(grid + " --status", tmp.path);
  EXPECT_NE(status.output.find("0\tdone"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("1\tfailed"), std::string::npos) << status.output;
  std::string csv, summary;
  for (const auto& e : fs::recursive_directory_iterator(tmp / "sw")) {
    if (e.path().filename() == "sweep.csv") csv = slurp(e.path().string());
    if (e.path().filename() == "summary.json" && e.path().parent_path().filename().string().rfind("sweep-", 0) == 0) {
      summary = slurp(e.path().string());
    }
    if (e.path().filename() == "1.failed.json") {
      EXPECT_NE(slurp(e.path().string()).find("test/accuracy"), std::string::npos);
    }
  }
  EXPECT_NE(csv.find(",failed,failed,"), std::string::npos) << csv;
  ASSERT_FALSE(summary.empty());
  EXPECT_EQ(Json::parse(summary)["failed"], Json::array({1}));
}

}  // namespace
}  // namespace phenom::testing
