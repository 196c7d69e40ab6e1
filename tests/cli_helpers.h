// Helpers for tests that drive the real binary (build/phenom) as a user would.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace phenom::testing {

inline std::string binary() { return PHENOM_BINARY; }
inline std::string source_dir() { return PHENOM_SOURCE_DIR; }

// A fresh empty directory under /tmp, removed by the caller's TempDir.
struct TempDir {
  std::string path;
  TempDir() {
    char pattern[] = "/tmp/phenom-test-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

struct CliResult {
  int code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `phenom ARGS` in `cwd` (default: current directory) and waits; `env` (e.g. "X=1") is set
// for that process alone.
inline CliResult run_cli(const std::string& args, const std::string& cwd = "", const std::string& env = "") {
  std::string command = (cwd.empty() ? "" : "cd '" + cwd + "' && ") + (env.empty() ? "" : "env " + env + " ") +
                        binary() + " " + args + " 2>&1";
  CliResult result;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Starts `phenom ARGS...` in `cwd` in the background (output discarded); returns its pid. With
// `own_group`, it leads a process group of its own, so that it and its children (a sweep's jobs)
// can be killed together with kill(-pid, ...).
inline pid_t spawn_phenom(const std::string& cwd, std::vector<std::string> args, bool own_group = false) {
  pid_t pid = fork();
  if (pid == 0) {
    if (own_group) setpgid(0, 0);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    args.insert(args.begin(), "phenom");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary().c_str(), argv.data());
    _exit(127);
  }
  if (own_group) setpgid(pid, pid);  // in both processes: set before either goes on
  return pid;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Runs SPEC into OUT stopped at STOP_AT (--stop-at), then again to the end; the second run must
// say it resumes. Returns OUT's metrics.jsonl, to compare with an uninterrupted run's.
inline std::string stopped_and_resumed_metrics(const TempDir& tmp, const std::string& spec_file, const std::string& out,
                                               int stop_at) {
  const std::string run = "run " + spec_file + " --no-plot --out " + out + " --threads 1";
  CliResult stopped = run_cli(run + " --quiet --stop-at " + std::to_string(stop_at), tmp.path);
  EXPECT_NE(stopped.code, 2) << stopped.output;
  CliResult resumed = run_cli(run, tmp.path);
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming"), std::string::npos) << resumed.output;
  return slurp(tmp / (out + "/metrics.jsonl"));
}

// The sweep directory (sweep-<hash>) under a sweep's name directory, e.g. runs/<name>; "" when none.
inline std::string sweep_dir_in(const std::string& name_dir) {
  for (const auto& e : std::filesystem::directory_iterator(name_dir)) {
    if (e.path().filename().string().rfind("sweep-", 0) == 0) return e.path().string();
  }
  return "";
}

// Metrics of an uninterrupted reference run, for the resume tests.
inline std::string reference_metrics(const TempDir& tmp, const std::string& spec_file) {
  CliResult r = run_cli("run " + spec_file + " --no-plot --out reference --threads 1 --quiet", tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  return slurp(tmp / "reference/metrics.jsonl");
}

// Starts `phenom run` in the background and sends `signal` once metrics.jsonl reaches `min_rows`.
inline int run_and_signal(const TempDir& tmp, const std::string& spec_file, int signal, size_t min_rows) {
  pid_t pid = spawn_phenom(tmp.path, {"run", spec_file, "--no-plot", "--out", "resumed", "--threads", "1"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = slurp(tmp / "resumed/metrics.jsonl");
    if (static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >= min_rows) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, signal);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// A small grokking model system: (a+b) mod 23, quadratic MLP of width 200. Calibrated over seeds
// 0-2: memorises at step 14, generalises at 78-92 (lag ratio 5.6-6.6), ~800 steps/s on one core.
inline std::string small_grokking_spec(int steps = 300, int checkpoint_every = 100) {
  return "name: small-grok\n"
         "device: cpu\n"
         "task: {type: modular_arithmetic, modulus: 23, operation: add, train_fraction: 0.5}\n"
         "model: {type: mlp, width: 200, activation: quadratic, bias: false, init_std: 0.05}\n"
         "optimizer: {type: adamw, lr: 1.0e-2, betas: [0.9, 0.98], weight_decay: 5.0}\n"
         "train: {steps: " + std::to_string(steps) + ", loss: mse, eval_every: 2, checkpoint_every: " +
         std::to_string(checkpoint_every) + "}\n"
         "probes: [{type: weight_norm, every: 10}, {type: grad_norm, every: 10}, {type: fourier, every: 50}]\n"
         "detectors: [{type: grokking}]\n"
         "expect: {grokking.detected: true, grokking.lag_ratio: '>= 3', final.test/acc: '>= 0.95'}\n";
}

}  // namespace phenom::testing
