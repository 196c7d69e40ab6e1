// CLI wiring only (CLI11). Library code throws; this file maps errors to exit codes.
#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include <iostream>

#include "core/allocator.h"
#include "core/error.h"
#include "core/signals.h"
#include "core/version.h"
#include "analyze/analyze.h"
#include "run/plot.h"
#include "protocols/protocol.h"
#include "run/run.h"
#include "sweep/smoke.h"
#include "sweep/sweep.h"
#include "spec/spec.h"

using namespace phenom;

namespace {

int report_bad_input(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return static_cast<int>(ExitCode::kBadInput);
}

// A whole number in [lo, hi], refused with what is allowed and an example (CLI11's own ranges
// print their bounds as doubles).
CLI::Validator Whole(int64_t lo, int64_t hi, const std::string& example) {
  const std::string allowed = "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos;
        if (digits && std::stoll(text) >= lo && std::stoll(text) <= hi) return "";
        return "found '" + text + "'; allowed: " + allowed + ". Fix: e.g. " + example;
      },
      allowed);
}

}  // namespace

int main(int argc, char** argv) {
  phenom::keep_freed_memory_for_reuse();
  phenom::block_stop_signals();
  CLI::App app{"phenom: experiments on model systems for the science of deep learning.\n"
               "One YAML spec -> a trained model system, a run directory and a verdict."};
  app.set_version_flag("--version", std::string("phenom ") + phenom_version() + " (" + phenom_git_commit() + ")");
  app.require_subcommand(1);

  RunRequest request;
  auto* run = app.add_subcommand("run", "train one spec; resumes an unfinished run, reports a finished one");
  run->add_option("spec", request.spec_path, "spec YAML file")->required();
  run->add_option("overrides", request.overrides, "key=value overrides (optimizer.lr=3e-3, probes.0.every=10)");
  run->add_option("--out", request.out_dir, "run directory (default runs/<name>/<hash8>)");
  run->add_flag("--fresh", request.fresh, "discard the run in that directory and start over (refused while another "
                                          "process runs it, and in a directory phenom did not create)");
  run->add_flag("--force-fresh", request.force_fresh, "--fresh, also in a directory phenom did not create: removes "
                                                      "the file names a run writes there (spec.yaml, log.txt, "
                                                      "checkpoints/, plots/, ...), nothing else");
  run->add_option("--threads", request.threads, "CPU threads for torch and OpenBLAS together (default: all cores)")
      ->check(Whole(1, 4096, "--threads 2"));
  run->add_flag("--quiet", request.quiet, "no progress line and no log lines on the console");
  bool no_plot = false;
  run->add_flag("--no-plot", no_plot, "do not write figures at the end of the run");
  run->add_option("--stop-at", request.stop_at, "checkpoint and stop at step N as Ctrl-C would (exit 130); the same "
                                                 "command without it resumes")
      ->check(Whole(0, 999999999999999999, "--stop-at 100"));

  std::string spec_path, kind;
  std::vector<std::string> overrides;
  auto* validate = app.add_subcommand("validate", "check a spec; print every problem");
  validate->add_option("spec", spec_path, "spec YAML file")->required();
  validate->add_option("overrides", overrides, "key=value overrides");
  auto* resolve = app.add_subcommand("resolve", "print the fully defaulted spec");
  resolve->add_option("spec", spec_path, "spec YAML file")->required();
  resolve->add_option("overrides", overrides, "key=value overrides");
  auto* list = app.add_subcommand("list", "components with their options, defaults and help");
  list->add_option("kind", kind, "tasks | models | optimizers | schedules | probes | detectors | sweep_detectors | train | init_from | analyses | protocols")
      ->check(CLI::IsMember(component_kinds()));

  SweepRequest sweep_request;
  auto* sweep = app.add_subcommand("sweep", "expand the spec's sweep: block and key=a,b,c / key=range(a,b) overrides "
                                            "into runs; run those not done; aggregate");
  sweep->add_option("spec", sweep_request.spec_path, "spec YAML file")->required();
  sweep->add_option("overrides", sweep_request.arguments, "key=value (all jobs), key=a,b,c or key=range(a,b) (axes)");
  sweep->add_option("--jobs", sweep_request.jobs, "runs at once, as separate processes (threads split between them)")
      ->check(Whole(1, 4096, "--jobs 2"));
  sweep->add_option("--threads", sweep_request.threads, "CPU threads for the whole sweep (default: all cores)")
      ->check(Whole(1, 4096, "--threads 2"));
  sweep->add_option("--root", sweep_request.root, "directory for the sweep and its runs (default runs)");
  sweep->add_option("--index", sweep_request.index, "run exactly job I of the manifest (e.g. $SLURM_ARRAY_TASK_ID)")
      ->check(Whole(0, 999999999, "--index 0"));
  sweep->add_option("--expect-fraction", sweep_request.expect_fraction,
                    "a run-level expectation holds for the sweep when it passes in this fraction of the runs")
      ->check(CLI::Range(0.0, 1.0));
  sweep->add_flag("--fail-fast", sweep_request.fail_fast, "stop at the first failed job");
  sweep->add_flag("--status", sweep_request.status_only, "print done / running / interrupted / failed / pending per job");
  sweep->add_flag("--aggregate", sweep_request.aggregate_only, "only (re)write sweep.csv and summary.json");
  sweep->add_flag("--quiet", sweep_request.quiet, "no progress lines");
  bool sweep_no_plot = false;
  sweep->add_flag("--no-plot", sweep_no_plot, "do not draw the sweep's figures at the end");
  sweep->add_option("--slurm", sweep_request.slurm_file,
                    "write a Slurm job-array script (FILE, or <sweep dir>/sweep.sbatch without a value) whose tasks "
                    "run --index $SLURM_ARRAY_TASK_ID; options from the spec's slurm: block or slurm.KEY=VALUE")
      ->expected(0, 1);
  sweep->add_flag("--submit", sweep_request.submit, "with --slurm: submit the script with sbatch");

  AnalyzeRequest analyze_request;
  auto* analyze = app.add_subcommand("analyze", "run instruments (phenom list analyses) on a saved run's checkpoints "
                                                "into RUN_DIR/analyses/<name>-<hash8>/");
  analyze->add_option("run", analyze_request.target, "run, sweep (each finished run) or protocol (each of its runs) directory")
      ->required();
  analyze->add_option("spec", analyze_request.spec_path, "analysis spec YAML")->required();
  analyze->add_option("overrides", analyze_request.overrides, "key=value overrides (analyses.0.hook=...)");
  analyze->add_option("--steps", analyze_request.steps, "all | last | N,M,... (default: the spec's steps)");
  analyze->add_flag("--quiet", analyze_request.quiet, "no progress lines");
  analyze->add_option("--threads", analyze_request.threads, "CPU budget in cores (default: all)")
      ->check(Whole(1, 4096, "--threads 2"));
  bool analyze_no_plot = false;
  analyze->add_flag("--no-plot", analyze_no_plot, "do not draw the analysis' figures (patching heatmaps, steering "
                                                 "curves, PCA/t-SNE views)");

  SmokeRequest smoke_request;
  auto* smoke = app.add_subcommand("smoke", "run each spec shrunk to a few steps (a sweep: its first job; a protocol: "
                                            "its base run) and check that it trains, writes every output, checkpoints "
                                            "and resumes bit-identically; exit 1 when one fails");
  smoke->add_option("specs", smoke_request.targets, "spec files, or directories (every *.yaml under them)")->required();
  smoke->add_option("--steps", smoke_request.steps, "steps per run (default 20; stopped and resumed halfway)")
      ->check(Whole(2, 1000000, "--steps 20"));
  smoke->add_option("--junit", smoke_request.junit, "write a JUnit XML report to FILE (for CI)");
  smoke->add_option("--root", smoke_request.root, "keep the runs in DIR (default: a temporary directory, removed "
                                                  "when every spec passes)");
  smoke->add_option("--threads", smoke_request.threads, "CPU threads per run (default: all cores, shared by --jobs)")
      ->check(Whole(1, 4096, "--threads 2"));
  smoke->add_option("--jobs", smoke_request.jobs, "specs smoked at once (default 1)")->check(Whole(1, 4096, "--jobs 2"));
  smoke->add_flag("--quiet", smoke_request.quiet, "no lines on the console");

  std::string plot_dir;
  auto* plot = app.add_subcommand("plot", "figures of a run directory into DIR/plots/ (scripts/plot.py, matplotlib)");
  plot->add_option("dir", plot_dir, "run directory")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::kBadInput);
  }

  try {
    if (*run) {
      request.plot = !no_plot;
      return run_spec(request);
    }
    if (*sweep) {
      if (sweep->count("--slurm") > 0 && sweep_request.slurm_file.empty()) sweep_request.slurm_file = "-";
      sweep_request.plot = !sweep_no_plot;
      return run_sweep(sweep_request);
    }
    if (*analyze) {
      analyze_request.plot = !analyze_no_plot;
      return run_analysis(analyze_request);
    }
    if (*smoke) return run_smoke(smoke_request);
    if (*plot) {
      std::cout << plot_run(plot_dir);
      return 0;
    }
    if (*validate) {
      Spec spec = load_spec(spec_path, overrides);
      std::cout << "ok: " << spec_path << " is valid (spec hash " << spec_hash(spec) << ")\n";
      return 0;
    }
    if (*resolve) {
      std::cout << resolve_text(load_spec(spec_path, overrides));
      return 0;
    }
    if (*list) {
      std::cout << list_components(kind);
      return 0;
    }
  } catch (const SpecError& e) {
    std::cerr << e.what() << "\n";
    return static_cast<int>(ExitCode::kBadInput);
  } catch (const BadInput& e) {
    return report_bad_input(e.what());
  } catch (const RunFailed& e) {
    std::cerr << "error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kRunFailed);
  } catch (const c10::Error& e) {
    std::cerr << "error (LibTorch): " << e.what_without_backtrace() << "\n";
    return static_cast<int>(ExitCode::kRunFailed);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kRunFailed);
  }
  return 0;
}
