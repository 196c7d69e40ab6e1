// Runs never lie about where they came from: an edited spec.yaml, a diverged init_from source, a
// moved protocol (test_lottery.cpp), and the signals a terminal or a pipe sends.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

using namespace phenom::testing;
using Json = nlohmann::json;

TEST(Provenance, AFinishedRunWhoseSpecWasEditedIsRefused) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(10));
  ASSERT_EQ(run_cli("run spec.yaml --no-plot --quiet --out ed --threads 1", tmp.path).code, 1);  // 10 steps: no grokking
  std::string stored = slurp(tmp / "ed/spec.yaml");
  const size_t lr = stored.find("lr: 0.01");
  ASSERT_NE(lr, std::string::npos) << stored;
  stored.replace(lr, 8, "lr: 0.5");
  write_text(tmp / "ed/spec.yaml", stored);
  const CliResult again = run_cli("run ed/spec.yaml --no-plot --out ed --threads 1", tmp.path);
  EXPECT_EQ(again.code, 2) << again.output;
  EXPECT_NE(again.output.find("no longer describes the run"), std::string::npos) << again.output;
  EXPECT_EQ(again.output.find("already complete"), std::string::npos) << again.output;
}

TEST(Provenance, InitFromADivergedRunAfterItsStartIsRefusedUnlessAllowed) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(100, /*checkpoint_every=*/5));
  ASSERT_EQ(run_cli("run spec.yaml optimizer.lr=1 --no-plot --quiet --out diverged --threads 1", tmp.path).code, 1);
  const Json summary = Json::parse(slurp(tmp / "diverged/summary.json"));
  ASSERT_EQ(summary["status"], "diverged");
  ASSERT_GE(summary["steps"].get<int64_t>(), 5);
  const std::string child = small_grokking_spec(10) + "init_from: {run: diverged, step: 5}\n";
  write_text(tmp / "child.yaml", child);
  const CliResult refused = run_cli("run child.yaml --no-plot --out child --threads 1", tmp.path);
  EXPECT_EQ(refused.code, 2) << refused.output;
  EXPECT_NE(refused.output.find("diverged (at step " + summary["steps"].dump() + ")"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(tmp / "child"));
  // Its initialisation is a sound start; and asked explicitly, the diverged weights are taken.
  write_text(tmp / "init.yaml", small_grokking_spec(10) + "init_from: {run: diverged, step: init}\n");
  EXPECT_NE(run_cli("run init.yaml --no-plot --quiet --out init --threads 1", tmp.path).code, 2);
  write_text(tmp / "allowed.yaml", small_grokking_spec(10) + "init_from: {run: diverged, step: 5, allow_diverged: true}\n");
  const CliResult allowed = run_cli("run allowed.yaml --no-plot --out allowed --threads 1", tmp.path);
  EXPECT_NE(allowed.code, 2) << allowed.output;
  EXPECT_TRUE(fs::exists(tmp / "allowed/spec.yaml")) << allowed.output;
}

// SIGHUP (the terminal closed) checkpoints and stops like SIGTERM; the same command resumes.
TEST(Provenance, HangupCheckpointsAndExits130) {
  TempDir tmp;
  std::string spec = small_grokking_spec(/*steps=*/1500, /*checkpoint_every=*/0);
  spec.replace(spec.find("expect:"), std::string::npos, "");
  write_text(tmp / "spec.yaml", spec);
  const int status = run_and_signal(tmp, "spec.yaml", SIGHUP, /*min_rows=*/100);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_EQ(Json::parse(slurp(tmp / "resumed/summary.json"))["status"], "interrupted");
  EXPECT_TRUE(fs::exists(tmp / "resumed/checkpoints/last.pt"));
  const CliResult resumed = run_cli("run spec.yaml --no-plot --out resumed --threads 1", tmp.path);
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming"), std::string::npos) << resumed.output;
}

// `phenom run ... | head`: the reader of stdout goes away; the run goes on to its end.
TEST(Provenance, AClosedStdoutDoesNotEndTheRun) {
  TempDir tmp;
  std::string spec = small_grokking_spec(/*steps=*/300, /*checkpoint_every=*/100);
  spec.replace(spec.find("expect:"), std::string::npos, "");
  write_text(tmp / "spec.yaml", spec);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(tmp.path.c_str()) != 0) _exit(127);
    dup2(fds[1], 1);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    close(fds[0]);
    execl(binary().c_str(), "phenom", "run", "spec.yaml", "--no-plot", "--out", "piped", "--threads", "1",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);  // nobody reads: the first write to stdout meets a closed pipe
  close(fds[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(fs::exists(tmp / "piped/DONE"));
}

}  // namespace
}  // namespace phenom
