#include "run/run.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <torch/version.h>

#include "core/device.h"
#include "core/error.h"
#include "core/io.h"
#include "core/safetensors.h"
#include "core/signals.h"
#include "core/text.h"
#include "core/threads.h"
#include "ops/gemm.h"
#include "core/version.h"
#include "models/model.h"
#include "detectors/detector.h"
#include "probes/probe.h"
#include "run/artifact.h"
#include "run/console.h"
#include "run/init_from.h"
#include "run/memory.h"
#include "run/plot.h"
#include "run/resume.h"
#include "run/summary.h"
#include "run/rundir.h"
#include "run/run_sink.h"
#include "tasks/task.h"
#include "train/checkpoint.h"
#include "train/experiment.h"
#include "train/preflight.h"
#include "train/trainer.h"

namespace phenom {
namespace {

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buffer;
}

std::string hostname() {
  char buffer[256] = {0};
  gethostname(buffer, sizeof(buffer) - 1);
  return buffer;
}

// A finished run is reported, not redone: print its stored verdict and return its exit code.
int report_finished(const RunArtifact& run, bool quiet) {
  const Json summary = run.summary();
  bool met = summary.value("expectations_met", true);
  if (!quiet) {
    std::cout << "already complete: " << run.path() << " (status " << summary.value("status", "?")
              << (met ? "" : ", expectations NOT met") << "). Use --fresh to run it again.\n";
  }
  return summary.value("status", "") == "completed" && met ? 0 : 1;
}

// Trainable parameters x examples (times positions) per step: the thread policy's measure of a
// model's size.
double work_per_step(const Experiment& ex) {
  double trainable = 0;
  for (const auto& p : ex.model->parameters()) if (p.requires_grad()) trainable += static_cast<double>(p.numel());
  return trainable * static_cast<double>(ex.task->examples_per_step());
}

// A run that stopped on an error after its directory was prepared says so in summary.json
// (status `failed`, with the error), so that sweeps list it as failed; `phenom run` retries it.
void record_failure(RunDir& dir, const std::string& message) {
  try {
    Json summary;
    summary["status"] = "failed";
    summary["message"] = message;
    dir.write("summary.json", summary.dump(2) + "\n");
  } catch (const std::exception&) {
    // the error that stopped the run may be the disk itself: it is reported by the caller
  }
}

// Trains in a prepared, locked directory and writes the summary, metrics.csv and the verdict.
int train_and_report(const RunRequest& request, const Spec& spec, const std::string& hash, Experiment& ex,
                     RunDir& dir, const ThreadPlan& threads, int budget, bool resume) {
  Console console(request.quiet, dir.file("log.txt"));

  Json meta;
  meta["phenom_version"] = phenom_version();
  meta["git_commit"] = phenom_git_commit();
  meta["libtorch_version"] = TORCH_VERSION;
  meta["device"] = ex.device.str();
  meta["threads"] = {{"budget", budget > 0 ? budget : machine_cores()},
                     {"torch", threads.torch_threads},
                     {"openblas", threads.blas_controlled ? Json(threads.blas_threads) : Json("not found")}};
  meta["gemm"] = threads.gemm;
  meta["cpu"] = cpu_description();
  meta["host"] = hostname();
  meta["spec_hash"] = hash;
  meta["started"] = now_iso();

  MetricHistory history;
  int64_t start_step = 0;
  if (resume) {
    ResumePoint point = choose_resume_point(dir, console);
    start_step = load_checkpoint(point.checkpoint, ex, hash).step;
    history = std::move(point.history);
    console.info("resuming " + dir.path() + " from step " + std::to_string(start_step));
    // What is guaranteed on every CPU: the same bits under the same thread plan, GEMM and kind of
    // CPU (oneDNN picks its kernels from the ISA). Under another plan or CPU, float sums may be
    // split or rounded differently (oneDNN splits long reductions by thread count: at 3-4 threads
    // on an AVX2 EPYC, beyond 4 on an AVX-512 Xeon), so the rest of the run can differ in the last
    // bits from an uninterrupted one. meta.json without `cpu` (older runs) is not compared on it.
    try {
      const Json before = Json::parse(read_file(dir.file("meta.json")));
      const Json was = before.value("threads", Json::object()), now = meta["threads"];
      const bool same_cpu = !before.contains("cpu") || !before["cpu"].is_string() || before["cpu"] == meta["cpu"];
      if (was.value("torch", Json()) != now["torch"] || was.value("openblas", Json()) != now["openblas"] ||
          before.value("gemm", Json()) != meta["gemm"] || !same_cpu) {  // the plan, not the budget
        console.warn("resuming with threads " + meta["threads"].dump() + ", gemm " + meta["gemm"].dump() +
                     (same_cpu ? "" : " on " + meta["cpu"].get<std::string>()) + " where it last ran with threads " +
                     before.value("threads", Json()).dump() + ", gemm " + before.value("gemm", Json()).dump() +
                     (same_cpu ? "" : " on " + before["cpu"].get<std::string>()) +
                     ": the remaining steps may differ in the last bits from an uninterrupted run. For a "
                     "bit-identical resume, pass the original --threads (and PHENOM_GEMM)" +
                     (same_cpu ? "" : ", on the same kind of CPU") + ".");
      }
    } catch (const std::exception&) {
      // no readable meta.json from the first process: nothing to compare
    }
  } else {
    console.info("run " + spec.name + " -> " + dir.path() + " (device " + ex.device.str() + ", threads " +
                 threads.describe() + ", " +
                 (spec.train.fit == Fit::kMinNorm ? std::string("closed-form min-norm fit")
                                               : std::to_string(spec.train.steps) + " steps") + ")");
  }
  std::vector<std::pair<std::string, std::string>> hparams;  // what the command line (or the sweep) set
  for (const auto& o : request.overrides) {  // key=value, +key=value, ++key=value (a removal, ~key, sets nothing)
    const size_t eq = o.find('=');
    if (eq == std::string::npos) continue;
    hparams.emplace_back(o.substr(o.find_first_not_of('+'), eq - o.find_first_not_of('+')), o.substr(eq + 1));
  }
  if (std::none_of(hparams.begin(), hparams.end(), [](const auto& h) { return h.first == "seed"; })) {
    hparams.emplace_back("seed", std::to_string(spec.seed));
  }
  dir.enable_tensorboard(resolve_text(spec), std::move(hparams));
  dir.rewrite_metrics(history);  // exactly the rows up to the resume point (empty for a new run)
  meta["resumed_from_step"] = start_step;
  dir.write("meta.json", meta.dump(2) + "\n");

  install_stop_handlers();
  RunSink sink(dir, console);
  Trainer trainer(spec, ex, sink, hash);
  trainer.stop_at = request.stop_at;
  TrainOutcome outcome = trainer.run(start_step, history);
  dir.close_metrics();

  std::vector<std::string> verdicts;
  Json summary = run_summary(spec, ex, outcome, history, verdicts);
  const Json final_values = summary["final"];
  const auto expectations = record_expectations(spec.expect, summary);
  const bool all_met = summary["expectations_met"].get<bool>();
  dir.write("summary.json", summary.dump(2) + "\n");
  dir.write("metrics.csv", history.csv());
  meta["ended"] = now_iso();
  dir.write("meta.json", meta.dump(2) + "\n");

  if (outcome.status == TrainOutcome::Status::kInterrupted) {
    console.warn(outcome.message + "; checkpoint written. Run the same command again to resume.");
    return static_cast<int>(ExitCode::kInterrupted);
  }
  if (outcome.status == TrainOutcome::Status::kDiverged) {
    dir.tensorboard().finish(dir.file("plots"), false, outcome.step);
    console.warn("diverged: " + outcome.message);
    return static_cast<int>(ExitCode::kRunFailed);
  }
  dir.write("DONE", now_iso() + "\n");
  if (request.plot) {
    if (std::string reason = plotting_unavailable_reason(); reason.empty()) {
      try {
        plot_run(dir.path());
        console.info("figures: " + dir.path() + "/plots/");
      } catch (const std::exception& e) {
        console.warn(e.what());
      }
    } else {
      console.info("no figures: " + reason + "; then run `phenom plot " + dir.path() + "`.");
    }
  }

  dir.tensorboard().finish(dir.file("plots"), true, outcome.step);

  // The verdict, on stdout (and in log.txt).
  char speed[192];
  const long long ran = static_cast<long long>(outcome.step - outcome.start_step);
  if (outcome.start_step > 0) {  // resumed: this process's steps and rate, then the run's total
    std::snprintf(speed, sizeof(speed), "%lld steps in this process (from step %lld) in %.1f s (%.0f steps/s); "
                  "%lld steps in all", ran, static_cast<long long>(outcome.start_step), outcome.seconds,
                  summary["steps_per_second"].get<double>(), static_cast<long long>(outcome.step));
  } else {
    std::snprintf(speed, sizeof(speed), "%lld steps in %.1f s (%.0f steps/s)", ran, outcome.seconds,
                  summary["steps_per_second"].get<double>());
  }
  std::string report;
  for (const auto& v : verdicts) report += v + "\n";
  std::string finals;
  for (const char* key : {"train/acc", "test/acc", "train/loss", "test/loss"}) {
    if (final_values.contains(key)) {
      char item[64];
      std::snprintf(item, sizeof(item), "%s%s %.4g", finals.empty() ? "" : ", ", key, final_values[key].get<double>());
      finals += item;
    }
  }
  report += "final: " + finals + "; " + speed + "\n";
  for (const auto& e : expectations) {
    report += std::string(e.passed ? "  ok    " : "  FAIL  ") + e.key + " " + e.expected + " (got " + e.actual.dump() + ")\n";
  }
  const std::string verdict = expectations.empty() ? "no expectations (the spec has no expect:)"
                              : all_met ? "all " + std::to_string(expectations.size()) + " expectations met"
                                        : "EXPECTATIONS NOT MET";
  report += verdict + "\nrun directory: " + dir.path() + "\n";
  if (!request.quiet) {
    std::cout << report << std::flush;
  }
  return all_met ? 0 : static_cast<int>(ExitCode::kRunFailed);
}

}  // namespace

int run_experiment(const RunRequest& request) {
  Spec spec = load_spec(request.spec_path, request.overrides);  // SpecError -> exit 2, nothing created
  const std::string hash = spec_hash(spec);
  const std::string resolved = resolve_text(spec);
  RunDir dir(request.out_dir.empty() ? "runs/" + spec.name + "/" + hash : request.out_dir);

  // A directory phenom did not create is never written into or cleared (unless --force-fresh).
  if (dir.has_entries() && !dir.is_phenom_run() && !request.force_fresh) {
    throw BadInput("'" + dir.path() + "' holds files and is not a run directory that phenom created (no "
                   ".phenom-run marker): phenom neither writes into it nor clears it. Fix: choose a new or "
                   "empty --out directory" + std::string(request.fresh ? ", or pass --force-fresh to remove the "
                   "file names phenom writes there" : "") + ".");
  }
  const bool fresh = request.fresh || request.force_fresh;
  if (RunArtifact::is_run(dir.path()) && !fresh) {
    const RunArtifact stored(dir.path());
    if (stored.spec_hash() != hash) {
      throw BadInput("'" + dir.path() + "' holds a run of a different spec. Fix: pass --fresh to replace it, or "
                     "choose another --out directory.");
    }
    if (const std::string trained = stored.trained_hash(); !trained.empty() && trained != hash) {
      throw BadInput("'" + dir.path() + "/spec.yaml' no longer describes the run in that directory: the run was "
                     "trained under spec hash " + trained + ", and spec.yaml now hashes to " + hash + " (was it "
                     "edited?). Fix: restore the file, run the edited spec into another --out directory, or pass "
                     "--fresh to replace the run.");
    }
    const RunState state = stored.state();
    // Done and diverged are final; a run that failed (an I/O error, a damaged file) is retried.
    if (state == RunState::kDone || (state == RunState::kFailed && stored.summary().value("status", "") != "failed")) {
      return report_finished(stored, request.quiet);
    }
  }
  // Build and check everything before touching the directory: a failure here leaves nothing behind.
  if (resolve_device(spec.device).is_cpu()) check_memory(spec, request.overrides);
  const Experiment source = init_from_source(spec);
  Experiment ex = build_experiment(spec);
  apply_init_from(spec, source, ex);
  if (!spec.mask.empty()) {  // first, so that clipping sees the masked gradient
    ex.callbacks.insert(ex.callbacks.begin(), make_weight_mask(*ex.model, read_safetensors(spec.mask)));
  }
  const int budget = request.threads > 0 ? request.threads : static_cast<int>(spec.threads);  // --threads wins
  ThreadPlan threads = configure_threads(budget, spec.dtype, work_per_step(ex), gemm_kernel());
  preflight(spec, request.overrides, ex);
  // The lock comes first: --fresh never clears a directory another process is running, and
  // nothing is written before this process owns it.
  dir.create_and_lock();
  if (fresh) {
    const std::string kept = dir.clear();
    if (!kept.empty() && !request.quiet) std::cout << "note: " << kept << "\n";
  }
  const bool resume = has_checkpoints(dir);
  dir.prepare(resolved, overrides_text(request.overrides));
  try {
    return train_and_report(request, spec, hash, ex, dir, threads, budget, resume);
  } catch (const std::exception& e) {
    record_failure(dir, e.what());
    throw;
  }
}

}  // namespace phenom
