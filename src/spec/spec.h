// The typed spec: what a YAML file plus command-line overrides resolve to. Every default filled,
// every value validated. Components receive these structs, never YAML.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spec/component.h"
#include "spec/options.h"

namespace phenom {

struct TrainOptions : OptionsBase {
  int64_t steps = 1000;
  CountOrFull batch_size;  // full batch by default
  Loss loss = Loss::kCrossEntropy;
  Cadence eval_every{10, 0};
  Cadence checkpoint_every{0, 0};  // unset: only last.pt at the end (and on interrupt)
  double grad_clip = 0.0;        // max global grad norm; 0 disables
  double weight_norm_constraint = 0.0;  // rescale all parameters to this total L2 norm after each step
  Fit fit = Fit::kGradient;              // or min_norm: closed-form least squares for a linear readout
  double min_norm_cutoff = 1e-10;        // drop singular values below cutoff * the largest
  double stop_train_acc = 0.0;           // stop once train/acc >= this (0: off)
  int64_t order_seed = -1;               // the batch order's seed; -1: the spec's seed
  // Optimizer steps the run takes: a closed-form fit is one step.
  int64_t total_steps() const { return fit == Fit::kMinNorm ? 1 : steps; }
  // The seed of the batch stream (epoch permutations, streamed prompts).
  int64_t batch_seed(int64_t seed) const { return order_seed >= 0 ? order_seed : seed; }
  // Whether checkpoints/step_<step>.pt is kept.
  bool checkpoint_due(int64_t step) const { return !checkpoint_every.unset() && checkpoint_every.due(step); }
  void visit(Visitor& v) override {
    v.field("steps", steps, "number of optimizer steps", AtLeast(1));
    v.field("batch_size", batch_size, "examples per step, or `full` for full-batch gradient descent", AtLeast(1));
    v.field("loss", loss,
            "cross_entropy; mse against one-hot or real targets (PyTorch's: mean over examples and outputs); or "
            "half_sse, 0.5 * the sum over outputs of the squared error, mean over examples (Cohen et al.'s "
            "convention for sharpness: C/2 times mse, so its Hessian is C/2 times larger)");
    v.field("eval_every", eval_every,
            "default cadence of probes and metric rows: N (every N steps) or {per_decade: K} (K log-spaced steps per "
            "factor of 10; add every: N to also measure every N steps)",
            AtLeast(1));
    v.field("checkpoint_every", checkpoint_every,
            "keep checkpoints/step_<N>.pt at this cadence, like eval_every: N (every N steps) or {per_decade: K}; "
            "step 0 (the initialisation) included (0: only last.pt, at the end and on interrupt)",
            NonNegative());
    v.field("grad_clip", grad_clip, "clip the global gradient norm to this value (0: off)", NonNegative());
    v.field("weight_norm_constraint", weight_norm_constraint,
            "after every step rescale all parameters to this total L2 norm (Omnigrok's fixed-norm training; 0: off)",
            NonNegative());
    v.field("fit", fit,
            "gradient: train.steps optimizer steps; min_norm: one closed-form fit of the model's linear readout (minimum-"
            "norm least squares in float64 via SVD; needs loss: mse and a model whose only trainable part is a linear "
            "readout, e.g. linear or random_features)");
    v.field("min_norm_cutoff", min_norm_cutoff,
            "min_norm: singular values below cutoff x the largest are treated as zero (logged as fit/rank)",
            HalfOpen(0, 1));
    v.field("stop_train_acc", stop_train_acc,
            "stop as soon as a measured train/acc reaches this value (e.g. 1.0: fit the training set); train.steps "
            "is the cap; the step goes to summary.json as stop.step (0: off)",
            Between(0, 1));
    v.field("order_seed", order_seed,
            "seed of the batch order alone (a fixed split's epoch permutations, a streamed task's prompts): two runs "
            "that differ only here start from the same weights and data and see it in another order (linear mode "
            "connectivity's two copies); -1: the spec's seed",
            AtLeast(-1));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (fit == Fit::kMinNorm && loss != Loss::kMse) {
      problems.push_back({"loss", "fit: min_norm minimises squared error, so it needs loss: mse (found " +
                                      std::string(word(loss)) +
                                      "). Fix: set train.loss: mse, or use fit: gradient."});
    }
  }
};

// init_from: start a run from another run's weights (not its optimizer state). The source's
// spec hash and the step, not its path, go into this run's hash.
struct InitFromOptions : OptionsBase {
  std::string run;            // a run directory, or a spec file (its run directory under runs/); "": off
  std::string step = "init";  // init (step 0, the source's initialisation) or a step with a checkpoint
  bool allow_diverged = false;
  // Resolved while loading (not options): the source's spec hash and run directory, and its spec
  // (null when only the hash is known: a stored spec whose source has moved).
  std::string source_hash, source_dir;
  std::string source_file;  // the spec file, when the source was named by one
  std::shared_ptr<const struct Spec> source;
  bool set() const { return !run.empty(); }
  int64_t step_number() const { return step == "init" ? 0 : std::stoll(step); }
  void visit(Visitor& v) override {
    v.field("run", run,
            "a run directory (runs/<name>/<hash8>), or a spec file whose run directory is runs/<name>/<hash8> under "
            "the current directory; paths relative to the current directory");
    v.field("step", step, "init (the source's initialisation, step 0) or a step that has a checkpoint there");
    v.field("allow_diverged", allow_diverged, "take the weights of a diverged source after its step 0 (refused "
                                              "otherwise: they are on the way to the divergence)");
  }
};

// Slurm array options for `phenom sweep --slurm` (not part of a run's hash).
struct SlurmOptions : OptionsBase {
  std::string partition, account;
  std::string time = "01:00:00";
  std::string mem = "4G";
  int64_t cpus_per_task = 2;
  int64_t max_parallel = 0;
  int64_t signal_seconds = 120;
  void visit(Visitor& v) override {
    v.field("partition", partition, "#SBATCH --partition (empty: the cluster's default)");
    v.field("account", account, "#SBATCH --account (empty: none)");
    v.field("time", time, "#SBATCH --time per array task, e.g. 01:00:00");
    v.field("mem", mem, "#SBATCH --mem per array task, e.g. 4G");
    v.field("cpus_per_task", cpus_per_task, "#SBATCH --cpus-per-task; also each run's --threads", AtLeast(1));
    v.field("max_parallel", max_parallel, "at most this many array tasks at once (--array=0-(N-1)%P; 0: no limit)",
            NonNegative());
    v.field("signal_seconds", signal_seconds,
            "#SBATCH --signal=B:USR1@S: warn the run S seconds before the time limit so it checkpoints", NonNegative());
  }
};

// One assertion on a summary value: `grokking.lag_ratio: ">= 1.5"`.
struct Expectation {
  std::string key;     // dotted path into summary.json, e.g. final.test/acc
  std::string op;      // ==, !=, >=, <=, >, <
  std::string value;   // the literal as written (number, true/false, or a word)
  std::string text() const;  // canonical form, e.g. ">= 1.5" or "true"
};

struct Spec {
  std::string name = "run";
  int64_t seed = 0;
  std::string device = "auto";
  Dtype dtype = Dtype::kFloat32;
  int64_t threads = 0;  // CPU budget when --threads is not given (0: all cores); not in the hash
  Component<TaskOptions> task;
  Component<ModelOptions> model;
  Component<OptimizerOptions> optimizer;
  Component<ScheduleOptions> schedule;
  TrainOptions train;
  InitFromOptions init_from;
  // A weight mask (safetensors: parameter name -> 1 kept / 0 pruned) enforced after every step;
  // its content hash, not its path, goes into the hash. "": none.
  std::string mask;
  std::string mask_hash;  // resolved while loading
  // A multi-round protocol over ordinary runs (lottery tickets); type "" when absent. Its rounds
  // are runs of the spec without it.
  Component<OptionsBase> protocol;
  std::vector<Component<ProbeOptions>> probes;
  size_t implicit_probes = 0;  // probes added in front of the listed ones (the default loss_accuracy)
  std::vector<Component<OptionsBase>> detectors;
  std::vector<Expectation> expect;
  // Sweep grid (used by `phenom sweep`): key -> values as YAML flow text. Not part of a run's hash.
  std::vector<std::pair<std::string, std::vector<std::string>>> sweep;
  SlurmOptions slurm;
  // Sweep-level detectors (read the table of a sweep's runs). Not part of a run's hash.
  std::vector<Component<OptionsBase>> sweep_detectors;

  std::string source;  // the file it came from (for messages)

  // The learning rate of the update at `step`: the optimizer's lr times the schedule's factor.
  double learning_rate(int64_t step) const {
    return optimizer.options->lr * schedule.options->factor(step, train.total_steps());
  }
};

// One problem found in a spec: where, what, what is allowed, how to fix.
struct Problem {
  std::string key;       // dotted key path, e.g. optimizer.lr
  std::string location;  // file:line:col, or "command line 'optimizer.lr=-1'"
  std::string message;   // found ..., allowed ..., fix ...
  std::string text() const;
};

// Thrown with every problem at once; main() prints them and exits 2.
struct SpecError : std::exception {
  std::vector<Problem> problems;
  std::string summary;
  explicit SpecError(std::vector<Problem> p);
  const char* what() const noexcept override { return summary.c_str(); }
};

// Loads a YAML file, applies `key=value` overrides, reads and validates. Throws SpecError.
Spec load_spec(const std::string& path, const std::vector<std::string>& overrides = {});
// A spec file's text; SpecError naming `what` (e.g. "spec file") when it cannot be read.
std::string read_spec_file(const std::string& path, const std::string& what);
// Same from YAML text (tests; `source` names it in messages).
Spec load_spec_text(const std::string& yaml, const std::vector<std::string>& overrides = {},
                    const std::string& source = "<spec>");

// Problems found after loading, by the components built from `spec` (key path, message): located
// in its file, or on the command line where `overrides` set the key, like the problems of a load.
SpecError spec_error_at(const Spec& spec, const std::vector<std::string>& overrides,
                        const std::vector<std::pair<std::string, std::string>>& problems);

// The fully defaulted spec as YAML; loading it gives the same Spec and the same hash.
std::string resolve_text(const Spec& spec, bool with_sweep = true);
// The resolved text of a run derived from `base` (a protocol's round): without protocol and
// expectations, starting from `init_run` at `init_step` (none when empty), holding `mask` (none
// when empty). Loading it resolves the source and the mask like any spec.
std::string derived_run_text(const Spec& base, const std::string& init_run, const std::string& init_step,
                             const std::string& mask);
// The overrides as a YAML mapping (for overrides.yaml).
std::string overrides_text(const std::vector<std::string>& overrides);
// Stable hash of everything that can change a run's results (the resolved spec without sweep).
std::string spec_hash(const Spec& spec);

// What the hash covers: "key=value" lines of the values that differ from their defaults.
std::string spec_hash_text(const Spec& spec);

// `phenom list [kind]`
std::string list_components(const std::string& kind);
std::vector<std::string> component_kinds();

}  // namespace phenom
