#include "sweep/sweep.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/io.h"
#include "core/process.h"
#include "core/signals.h"
#include "core/text.h"
#include "core/threads.h"
#include "run/artifact.h"
#include "run/plot.h"
#include "protocols/protocol.h"
#include "run/run.h"
#include "spec/spec.h"
#include "sweep/aggregate.h"
#include "sweep/detector.h"
#include "sweep/grid.h"
#include "sweep/jobs.h"
#include "sweep/report.h"
#include "sweep/slurm_script.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

using Json = nlohmann::ordered_json;

std::string sweep_dir_for(const SweepRequest& request, const std::string& name, const std::vector<Job>& jobs) {
  std::string identity;
  for (const auto& j : jobs) identity += j.spec_hash + "\n";
  return request.root + "/" + name + "/sweep-" + hex8(fnv1a64(identity));
}

void write_manifest(const std::string& dir, const std::vector<Job>& jobs) {
  std::string text;
  for (const auto& j : jobs) {
    text += Json{{"index", j.index}, {"overrides", j.overrides}, {"spec_hash", j.spec_hash}, {"run_dir", j.run_dir}}.dump() + "\n";
  }
  std::error_code error;
  fs::create_directories(dir + "/logs", error);
  if (error) throw BadInput("cannot create the sweep directory '" + dir + "': " + error.message());
  if (!fs::exists(dir + "/manifest.jsonl")) write_file_atomic(dir + "/manifest.jsonl", text);
}

// Starts `phenom run` for one job in its own process, output to logs/<index>.log.
pid_t launch(const SweepRequest& request, const Job& job, const std::string& sweep_dir, int threads) {
  std::vector<std::string> args = {"phenom", "run", request.spec_path};
  args.insert(args.end(), job.overrides.begin(), job.overrides.end());
  args.insert(args.end(), {"--out", job.run_dir, "--threads", std::to_string(threads), "--no-plot"});
  return spawn_self(args, sweep_dir + "/logs/" + std::to_string(job.index) + ".log");
}

// The last lines of a job's log (what a failure said).
std::string log_tail(const std::string& sweep_dir, const Job& job) {
  std::string text;
  try {
    text = read_file(sweep_dir + "/logs/" + std::to_string(job.index) + ".log");
  } catch (const std::exception&) {
    return "no log";
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.size() > 2000 ? "..." + text.substr(text.size() - 2000) : text;
}

// One line per job (index, state, run directory, overrides) and the counts.
int print_status(const std::vector<Job>& jobs, const std::string& sweep_dir) {
  std::map<std::string, int> counts;
  for (const auto& job : jobs) {
    const char* state = run_state_name(job_state(job, sweep_dir));
    ++counts[state];
    std::string overrides;
    for (const auto& o : job.overrides) overrides += o + " ";
    std::cout << job.index << "\t" << state << "\t" << job.run_dir << "\t" << overrides << "\n";
  }
  std::cout << "sweep " << sweep_dir << ":";
  for (const auto& [state, n] : counts) std::cout << " " << n << " " << state;
  std::cout << "\n";
  return 0;
}

// The sweep's figures (plots/), like a run's at its end; a missing matplotlib is said, not an error.
void plot_sweep(const std::string& sweep_dir, bool quiet) {
  if (std::string reason = plotting_unavailable_reason(); !reason.empty()) {
    if (!quiet) std::cout << "no figures: " << reason << "; then run `phenom plot " << sweep_dir << "`.\n";
    return;
  }
  try {
    plot_run(sweep_dir);
    if (!quiet) std::cout << "figures: " << sweep_dir << "/plots/\n";
  } catch (const std::exception& e) {
    std::cerr << "warning: " << e.what() << "\n";
  }
}

}  // namespace

int run_sweep(const SweepRequest& request) {
  std::string name;
  SweepPlan plan;
  SlurmOptions slurm;
  SweepDetectors detectors;
  std::vector<Job> jobs = plan_jobs(request, name, plan, slurm, detectors);
  const std::string sweep_dir = sweep_dir_for(request, name, jobs);
  if (request.status_only) return print_status(jobs, sweep_dir);  // reads only: writes nothing, creates nothing
  write_manifest(sweep_dir, jobs);

  if (!request.slurm_file.empty()) {
    const std::string file = request.slurm_file == "-" ? sweep_dir + "/sweep.sbatch" : request.slurm_file;
    write_file_atomic(file, sbatch_script(request, name, slurm, jobs.size(), sweep_dir));
    if (!request.submit) {
      std::cout << "wrote " << file << " (" << jobs.size() << " array tasks). Submit it with:\n  sbatch " << file << "\n";
      return 0;
    }
    int code = std::system(("sbatch " + shell_quote(file)).c_str());
    if (code != 0) throw RunFailed("sbatch " + file + " failed (exit " + std::to_string(code) + ")");
    return 0;
  }

  if (request.index >= 0) {
    if (request.index >= static_cast<int>(jobs.size())) {
      throw BadInput("--index " + std::to_string(request.index) + " is outside the sweep's " +
                     std::to_string(jobs.size()) + " jobs (0.." + std::to_string(jobs.size() - 1) + ").");
    }
    const Job& job = jobs[request.index];
    RunRequest run;
    run.spec_path = request.spec_path;
    run.overrides = job.overrides;
    run.out_dir = job.run_dir;
    run.threads = request.threads;
    run.quiet = request.quiet;
    run.plot = false;
    clear_job_failure(job, sweep_dir);
    try {
      return run_spec(run);
    } catch (const std::exception& e) {  // recorded for --status and --aggregate, then reported by main
      const bool bad_input = dynamic_cast<const SpecError*>(&e) || dynamic_cast<const BadInput*>(&e);
      try {
        record_job_failure(job, sweep_dir, bad_input ? 2 : 1, e.what());
      } catch (const std::exception&) {
        // the error itself may be the disk's: main reports the original
      }
      throw;
    }
  }
  if (request.aggregate_only) return aggregate_sweep(request, plan, jobs, sweep_dir, detectors, request.quiet);

  std::vector<const Job*> todo;
  for (const auto& job : jobs) {
    RunState s = job_state(job, sweep_dir);
    const bool retry = s == RunState::kFailed && job_summary(job, sweep_dir).value("status", "") == "failed";
    if (s == RunState::kPending || s == RunState::kInterrupted || retry) todo.push_back(&job);
  }
  const int parallel = std::max(1, std::min<int>(request.jobs, static_cast<int>(std::max<size_t>(1, todo.size()))));
  const int budget = request.threads > 0 ? request.threads : machine_cores();
  const int threads = std::max(1, budget / parallel);
  if (!request.quiet) {
    std::cout << "sweep " << sweep_dir << ": " << jobs.size() << " jobs, " << jobs.size() - todo.size()
              << " already done, " << todo.size() << " to run (" << parallel << " at a time, " << threads
              << " thread(s) each)\n" << std::flush;
  }
  install_stop_handlers();
  std::map<pid_t, const Job*> running;
  size_t next = 0, finished = 0;
  size_t elsewhere = 0;  // jobs whose run directory another process holds
  bool stop_launching = false, any_failed = false;
  const auto started = std::chrono::steady_clock::now();
  while (next < todo.size() || !running.empty()) {
    if (stop_requested() && !stop_launching) {
      stop_launching = true;
      for (auto& [pid, job] : running) kill(pid, SIGINT);  // each run checkpoints and exits 130
    }
    while (!stop_launching && next < todo.size() && static_cast<int>(running.size()) < parallel) {
      const Job* job = todo[next++];
      if (job_locked_elsewhere(*job)) {  // not this sweep's to run, and not a failure
        ++elsewhere;
        if (!request.quiet) std::cout << "[sweep] job " << job->index << " is running in another process: not started here\n";
        continue;
      }
      clear_job_failure(*job, sweep_dir);
      running[launch(request, *job, sweep_dir, threads)] = job;
    }
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      if (running.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const Job* job = it->second;
    running.erase(it);
    ++finished;
    const int code = exit_code_of(status);
    if (code == 2 && job_locked_elsewhere(*job)) {  // another process took it between the check and the start
      ++elsewhere;
      if (!request.quiet) std::cout << "[sweep] job " << job->index << " is running in another process: not run here\n";
      continue;
    }
    if (code != 0 && code != 130) record_job_failure(*job, sweep_dir, code, log_tail(sweep_dir, *job));
    const RunState state = job_state(*job, sweep_dir);
    const bool failed = state != RunState::kDone && code != 130;
    any_failed |= failed;
    if (!request.quiet) {
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      double eta = elapsed / finished * (todo.size() - finished);
      std::cout << "[sweep] job " << job->index << " " << (failed ? "FAILED" : run_state_name(state)) << " (exit " << code
                << "); " << finished << "/" << todo.size() << " finished, ETA " << format_double(std::round(eta))
                << " s\n" << std::flush;
    }
    if (failed && request.fail_fast && !stop_launching) {
      stop_launching = true;
      for (auto& [other, j] : running) kill(other, SIGINT);
    }
  }
  int code = aggregate_sweep(request, plan, jobs, sweep_dir, detectors, request.quiet);
  if (elsewhere > 0 && !request.quiet) {
    std::cout << elsewhere << " job(s) were running in another process and are not counted as done here. "
              << "Run this command again when that process has finished (it runs nothing twice), or add --aggregate.\n";
  }
  if (stop_requested()) return static_cast<int>(ExitCode::kInterrupted);
  if (request.plot) plot_sweep(sweep_dir, request.quiet);
  return any_failed ? 1 : code;
}

}  // namespace phenom
