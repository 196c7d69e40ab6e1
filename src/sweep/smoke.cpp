#include "sweep/smoke.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "core/error.h"
#include "core/io.h"
#include "core/process.h"
#include "run/plot.h"
#include "spec/spec.h"
#include "sweep/grid.h"

namespace phenom {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> expand_targets(const std::vector<std::string>& targets) {
  std::vector<std::string> files;
  for (const auto& t : targets) {
    std::error_code error;
    if (!fs::is_directory(t, error)) {
      files.push_back(t);  // a missing file is that case's failure
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(t, error)) {
      if (entry.is_regular_file() && entry.path().extension() == ".yaml") found.push_back(entry.path().string());
    }
    if (found.empty()) throw BadInput("no *.yaml spec under the directory '" + t + "'. Fix: name spec files or a "
                                      "directory that holds some.");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::string tail_of(const std::string& log) {
  std::string text;
  try {
    text = read_file(log);
  } catch (const std::exception&) {
    return "";
  }
  return text.size() > 3000 ? "..." + text.substr(text.size() - 3000) : text;
}

std::string read_or_empty(const fs::path& path) {
  try {
    return read_file(path.string());
  } catch (const std::exception&) {
    return "";
  }
}

// What a finished run directory lacks ("" when it has every output).
std::string missing_outputs(const fs::path& dir, int64_t checkpoint_step, bool figures) {
  std::vector<std::string> missing;
  for (const char* f : {"spec.yaml", "meta.json", "metrics.jsonl", "times.jsonl", "metrics.csv", "summary.json", "DONE",
                        "checkpoints/last.pt", "checkpoints/last.safetensors"}) {
    if (read_or_empty(dir / f).empty()) missing.push_back(f);
  }
  if (checkpoint_step > 0 && !fs::exists(dir / "checkpoints" / ("step_" + std::to_string(checkpoint_step) + ".safetensors"))) {
    missing.push_back("checkpoints/step_" + std::to_string(checkpoint_step) + ".safetensors");
  }
  const auto has = [&](const fs::path& sub, const std::string& part) {
    std::error_code error;
    for (const auto& e : fs::directory_iterator(dir / sub, error)) {
      if (e.path().filename().string().find(part) != std::string::npos && e.file_size() > 0) return true;
    }
    return false;
  };
  if (!has("tb", "tfevents")) missing.push_back("tb/events.out.tfevents.*");
  if (figures && !has("plots", ".png")) missing.push_back("plots/*.png");
  std::string text;
  for (const auto& m : missing) text += (text.empty() ? "" : ", ") + m;
  return text;
}

// The first line where two files differ (1-based), 0 when equal.
size_t first_difference(const std::string& a, const std::string& b) {
  size_t line = 1;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) return line;
    line += a[i] == '\n';
  }
  return a.size() == b.size() ? 0 : line;
}

class Smoker {
 public:
  Smoker(const SmokeRequest& request, fs::path root) : request_(request), root_(std::move(root)) {
    // --jobs runs share the cores unless --threads says otherwise.
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads_ = request.threads > 0 ? request.threads : request.jobs > 1 ? std::max(1, cores / request.jobs) : 0;
  }

  SmokeCase run(const std::string& file, size_t index) {
    SmokeCase c;
    c.file = file;
    const fs::path base = root_ / (std::to_string(index) + "-" + fs::path(file).stem().string());
    std::vector<std::string> overrides;
    bool closed_form = false;
    try {
      const Spec spec = load_spec(file);
      if (!spec.sweep.empty()) overrides = plan_sweep(spec.sweep, {}).jobs.at(0);
      const Spec job = load_spec(file, overrides);
      closed_form = job.train.fit == Fit::kMinNorm;
      for (const auto& o : shrink(job)) overrides.push_back(o);
      load_spec(file, overrides);
      c.passed.push_back(spec.sweep.empty() ? "loads" : "loads (first job of the sweep)");
    } catch (const SpecError& e) {
      return fail(c, "spec", e.what(), "");
    } catch (const std::exception& e) {
      return fail(c, "spec", e.what(), "");
    }
    const int64_t stop = std::max<int64_t>(1, request_.steps / 2);
    const fs::path full = base / "full", resumed = base / "resumed";
    if (int code = phenom_run(file, overrides, full, {}); code != 0) {
      return fail(c, "train", "phenom run exited " + std::to_string(code), tail_of(full.string() + ".log"));
    }
    c.passed.push_back("trains " + std::string(closed_form ? "(closed-form fit)" : std::to_string(request_.steps) + " steps"));
    const bool figures = plotting_unavailable_reason().empty();
    if (std::string missing = missing_outputs(full, closed_form ? 0 : stop, figures); !missing.empty()) {
      return fail(c, "outputs", "the run directory lacks " + missing, tail_of(full.string() + ".log"));
    }
    c.passed.push_back(figures ? "writes every output (figures included)" : "writes every output (no figures: " +
                                                                            plotting_unavailable_reason() + ")");
    if (closed_form) return c;  // one fit, nothing to interrupt
    if (int code = phenom_run(file, overrides, resumed, {"--stop-at", std::to_string(stop), "--no-plot"}); code != 130) {
      return fail(c, "checkpoint", "phenom run --stop-at " + std::to_string(stop) + " exited " + std::to_string(code) +
                                       " (expected 130, stopped with a checkpoint)", tail_of(resumed.string() + ".log"));
    }
    if (!fs::exists(resumed / "checkpoints" / "last.pt")) {
      return fail(c, "checkpoint", "no checkpoints/last.pt after stopping at step " + std::to_string(stop), "");
    }
    c.passed.push_back("checkpoints when stopped at step " + std::to_string(stop));
    if (int code = phenom_run(file, overrides, resumed, {"--no-plot"}); code != 0) {
      return fail(c, "resume", "resuming exited " + std::to_string(code), tail_of(resumed.string() + ".log"));
    }
    for (const char* f : {"metrics.jsonl", "checkpoints/last.safetensors"}) {
      const std::string a = read_or_empty(full / f), b = read_or_empty(resumed / f);
      if (a.empty() || a != b) {
        const std::string where = std::string(f) == "metrics.jsonl" && !a.empty()
                                      ? " (first difference at line " + std::to_string(first_difference(a, b)) + ")"
                                      : "";
        return fail(c, "resume", std::string(f) + " of the resumed run differs from the uninterrupted run's" + where,
                    "uninterrupted: " + full.string() + "\nresumed: " + resumed.string());
      }
    }
    c.passed.push_back("resumes bit-identically (metrics.jsonl and the final weights)");
    return c;
  }

 private:
  // Overrides that shrink a run to request_.steps while keeping every part of it working.
  std::vector<std::string> shrink(const Spec& spec) const {
    const int64_t n = request_.steps;
    std::vector<std::string> o = {"train.steps=" + std::to_string(n),
                                  "train.eval_every=" + std::to_string(std::max<int64_t>(1, n / 2)),
                                  "train.checkpoint_every=" + std::to_string(std::max<int64_t>(1, n / 2))};
    if (spec.train.stop_train_acc > 0) o.push_back("train.stop_train_acc=0");  // a fixed number of steps
    if (!spec.expect.empty()) o.push_back("~expect");  // a few steps do not show the phenomenon
    if (!spec.protocol.type.empty()) o.push_back("~protocol");  // its rounds are runs like this one
    return o;
  }

  int phenom_run(const std::string& file, const std::vector<std::string>& overrides, const fs::path& out,
                 const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"phenom", "run", file};
    args.insert(args.end(), overrides.begin(), overrides.end());
    args.insert(args.end(), {"--out", out.string()});
    if (threads_ > 0) args.insert(args.end(), {"--threads", std::to_string(threads_)});
    args.insert(args.end(), extra.begin(), extra.end());
    fs::create_directories(out.parent_path());
    return run_self(args, out.string() + ".log");
  }

  static SmokeCase& fail(SmokeCase& c, const std::string& type, const std::string& message, const std::string& details) {
    c.failure_type = type;
    c.failure_message = message;
    c.details = details;
    return c;
  }

  const SmokeRequest& request_;
  fs::path root_;
  int threads_ = 0;
};

}  // namespace

int run_smoke(const SmokeRequest& request) {
  if (request.targets.empty()) throw BadInput("name at least one spec file or directory, e.g. `phenom smoke configs/`.");
  if (request.steps < 2) throw BadInput("--steps must be at least 2 (a checkpoint halfway, then a resume).");
  const std::vector<std::string> files = expand_targets(request.targets);
  const bool temporary = request.root.empty();
  const fs::path root = temporary ? fs::temp_directory_path() / ("phenom-smoke-" + std::to_string(::getpid()))
                                  : fs::path(request.root);
  fs::create_directories(root);
  const auto started = std::chrono::steady_clock::now();
  const auto since = [](auto start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Smoker smoker(request, root);
  std::vector<SmokeCase> cases(files.size());
  std::atomic<size_t> next{0}, failed{0};
  std::mutex console;
  const auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      const auto case_started = std::chrono::steady_clock::now();
      SmokeCase c = smoker.run(files[i], i);
      c.seconds = since(case_started);
      failed += !c.ok();
      if (!request.quiet) {
        char time[32];
        std::snprintf(time, sizeof(time), "%6.1f s", c.seconds);
        std::lock_guard<std::mutex> lock(console);
        std::cout << (c.ok() ? "ok    " : "FAIL  ") << time << "  " << c.file
                  << (c.ok() ? "" : "\n      " + c.failure_type + ": " + c.failure_message) << std::endl;
      }
      cases[i] = std::move(c);
    }
  };
  std::vector<std::thread> workers;
  for (int j = 0; j < std::max(1, request.jobs); ++j) workers.emplace_back(worker);
  for (auto& w : workers) w.join();
  if (!request.junit.empty()) write_file_atomic(request.junit, junit_xml(cases, since(started)));
  if (!request.quiet) {
    std::cout << files.size() - failed << " of " << files.size() << " specs passed the smoke test";
    if (!request.junit.empty()) std::cout << "; report: " << request.junit;
    std::cout << "\n";
  }
  if (temporary && failed == 0) {
    std::error_code error;
    fs::remove_all(root, error);
  } else if (failed > 0 && !request.quiet) {
    std::cout << "runs and logs kept in " << root.string() << "\n";
  }
  return failed == 0 ? 0 : static_cast<int>(ExitCode::kRunFailed);
}

}  // namespace phenom
