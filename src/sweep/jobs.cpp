#include "sweep/jobs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>
#include <filesystem>
#include <iostream>
#include <map>

#include "core/device.h"
#include "core/error.h"
#include "core/io.h"
#include "core/text.h"
#include "core/threads.h"
#include "run/memory.h"

namespace phenom {

using Json = nlohmann::ordered_json;

std::vector<Job> plan_jobs(const SweepRequest& request, std::string& name, SweepPlan& plan, SlurmOptions& slurm,
                           SweepDetectors& detectors) {
  // slurm.* overrides configure the array script, not the runs.
  std::vector<std::string> slurm_overrides, arguments;
  for (const auto& a : request.arguments) (a.rfind("slurm.", 0) == 0 ? slurm_overrides : arguments).push_back(a);
  const std::string text = read_spec_file(request.spec_path, "spec file");  // read once, for every job
  Spec base = load_spec_text(text, slurm_overrides, request.spec_path);
  name = base.name;
  slurm = base.slurm;
  plan = plan_sweep(base.sweep, arguments);

  if (plan.jobs.empty()) {
    std::string empty;
    for (const auto& axis : plan.axes) if (axis.values.empty()) empty += (empty.empty() ? "" : ", ") + axis.key;
    throw BadInput("the sweep of " + request.spec_path + " has no jobs: the axis " + (empty.empty() ? "?" : empty) +
                   " has no values. Fix: give every axis at least one value, e.g. sweep: {seed: [0, 1, 2]} or "
                   "seed=range(0,3).");
  }
  const bool here = request.slurm_file.empty() && request.index < 0;  // the jobs run on this machine
  // Every grid point is loaded and hashed, on all cores (a 200,000-point grid takes seconds).
  struct Point {
    std::string hash, name;
    uint64_t identity = 0;  // the full 64-bit hash of what the run's hash covers
    std::vector<Problem> problems;
    std::exception_ptr error;
  };
  std::vector<Point> points(plan.jobs.size());
  std::atomic<size_t> next{0}, loaded{0};
  const auto load = [&] {
    for (size_t i; (i = next.fetch_add(1)) < points.size(); loaded.fetch_add(1)) {
      try {
        Spec spec = load_spec_text(text, plan.jobs[i], request.spec_path);
        if (here && resolve_device(spec.device).is_cpu()) check_memory(spec, plan.jobs[i]);
        points[i].identity = fnv1a64(spec_hash_text(spec));
        points[i].hash = hex8(points[i].identity);
        points[i].name = spec.name;
      } catch (const SpecError& e) {
        points[i].problems = e.problems;
      } catch (...) {
        points[i].error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> workers;
  const size_t threads = std::min<size_t>(static_cast<size_t>(machine_cores()), points.size() / 64 + 1);
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(load);
  std::thread progress([&] {
    for (int ticks = 0; loaded.load() < points.size(); ++ticks) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (ticks % 20 == 19 && loaded.load() < points.size()) {
        std::cerr << "expanding the sweep grid: " << loaded.load() << " of " << points.size() << " jobs\n" << std::flush;
      }
    }
  });
  load();
  for (auto& w : workers) w.join();
  progress.join();

  std::vector<Job> jobs;
  std::vector<Problem> problems;
  std::map<std::string, size_t> seen;  // spec hash -> grid position of its first job
  for (size_t i = 0; i < points.size(); ++i) {
    if (points[i].error) std::rethrow_exception(points[i].error);
    for (auto p : points[i].problems) {
      p.message = "(sweep job " + std::to_string(i) + ") " + p.message;
      problems.push_back(p);
    }
    if (!points[i].problems.empty()) continue;
    // Two grid points that resolve to one spec (seed=0,0; lr=1e-3,0.001) are one run: one job.
    // Two different specs whose 8-digit (32-bit) hashes collide would share a run directory:
    // refused. About n^2 / 2^33 collisions are expected among n points: 1% odds of one at 9,000
    // points, about 5 at 200,000.
    if (auto [it, inserted] = seen.emplace(points[i].hash, i); !inserted) {
      if (points[it->second].identity != points[i].identity) {
        throw BadInput("sweep grid points " + std::to_string(it->second) + " and " + std::to_string(i) +
                       " are different runs whose 8-digit spec hash collides (" + points[i].hash +
                       "): they would share one run directory. Fix: split the grid into two sweeps that keep "
                       "them apart.");
      }
      std::cerr << "warning: sweep grid points " << it->second << " and " << i << " resolve to the same spec ("
                << points[i].hash << "): they are one job\n";
      continue;
    }
    jobs.push_back({static_cast<int>(jobs.size()), plan.jobs[i], points[i].hash,
                    request.root + "/" + points[i].name + "/" + points[i].hash});
  }
  if (!problems.empty()) throw SpecError(problems);
  std::vector<std::string> axis_keys;
  for (const auto& axis : plan.axes) axis_keys.push_back(axis.key);
  for (const auto& d : base.sweep_detectors) {
    detectors.types.push_back(d.type);
    detectors.detectors.push_back(find_entry(sweep_detector_registry(), d.type)->build(*d.options));
    detectors.detectors.back()->check(axis_keys);
  }
  return jobs;
}

namespace {

std::string failure_file(const Job& job, const std::string& sweep_dir) {
  return sweep_dir + "/logs/" + std::to_string(job.index) + ".failed.json";
}

// The sweep's record of a failure (null when there is none); it counts only while the run
// directory has no state of its own.
Json recorded_failure(const Job& job, const std::string& sweep_dir) {
  std::error_code error;
  if (!std::filesystem::exists(failure_file(job, sweep_dir), error)) return {};
  try {
    Json record = Json::parse(read_file(failure_file(job, sweep_dir)));
    return record.is_object() ? record : Json();
  } catch (const std::exception&) {
    return Json{{"status", "failed"}, {"message", "an unreadable failure record"}};
  }
}

}  // namespace

RunState job_state(const Job& job, const std::string& sweep_dir) {
  const RunState state = RunArtifact::state_of(job.run_dir);
  if (state != RunState::kPending) return state;
  return recorded_failure(job, sweep_dir).is_null() ? state : RunState::kFailed;
}

Json job_summary(const Job& job, const std::string& sweep_dir) {
  if (RunArtifact::state_of(job.run_dir) != RunState::kPending) return RunArtifact::summary_of(job.run_dir);
  Json record = recorded_failure(job, sweep_dir);
  return record.is_null() ? RunArtifact::summary_of(job.run_dir) : record;
}

void record_job_failure(const Job& job, const std::string& sweep_dir, int exit_code, const std::string& message) {
  if (RunArtifact::state_of(job.run_dir) != RunState::kPending) return;  // the run says it itself
  const Json record = {{"status", "failed"}, {"exit_code", exit_code}, {"message", message}};
  write_file_atomic(failure_file(job, sweep_dir), record.dump(2) + "\n");
}

void clear_job_failure(const Job& job, const std::string& sweep_dir) {
  std::error_code error;
  std::filesystem::remove(failure_file(job, sweep_dir), error);
}

bool job_locked_elsewhere(const Job& job) {
  const int fd = ::open((job.run_dir + "/.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // never started here
  const bool held = flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);  // releases it when it was free
  return held;
}

}  // namespace phenom
