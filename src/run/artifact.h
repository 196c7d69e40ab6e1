// A run directory opened as an object (DESIGN.md §8 C): what a finished or unfinished run holds,
// read without building an optimizer or training. `phenom run`'s lifecycle, the sweep's job
// inspection and `init_from` read runs through it.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/metrics.h"
#include "spec/spec.h"

namespace phenom {

struct Experiment;

enum class RunState { kPending, kRunning, kDone, kInterrupted, kFailed };
const char* run_state_name(RunState state);

class RunArtifact {
 public:
  using Json = nlohmann::ordered_json;

  // Where a directory stands, from its files alone (nothing parsed but summary.json's status):
  // pending (no spec.yaml), running (another process holds its lock), done (DONE), failed
  // (diverged, or stopped on an error), or interrupted.
  static RunState state_of(const std::string& path);
  static bool is_run(const std::string& path);  // holds a spec.yaml
  static Json summary_of(const std::string& path);  // {} when there is none (yet) or it is unreadable

  // Opens a run directory and reads its spec under this version of phenom. BadInput when the
  // directory is not a run, or when its spec no longer validates (each problem, and how to carry
  // the run over).
  explicit RunArtifact(std::string path);

  const std::string& path() const { return path_; }
  const Spec& spec() const { return spec_; }
  const std::string& spec_hash() const { return hash_; }
  // The spec hash the run was trained under (meta.json), "" when meta.json has none. It differs
  // from spec_hash() when spec.yaml was edited after the run.
  std::string trained_hash() const;
  RunState state() const { return state_of(path_); }
  bool done() const;
  Json summary() const { return summary_of(path_); }
  MetricHistory metrics() const;  // metrics.jsonl (a torn last line is dropped)

  // Steps that have a checkpoint, ascending: checkpoints/step_<N>.pt and last.pt's step. Step 0
  // is always available: without step_0.pt it is rebuilt as the run started (the spec's
  // initialisation, or its init_from source's weights, with its mask applied): a pure function
  // of the spec.
  std::vector<int64_t> checkpoint_steps() const;
  // The model (and its task, unless `with_task` is false: the weights alone, without loading the
  // task's data) at `step`, on the spec's device, in eval mode, with no optimizer. BadInput
  // listing the steps there are when `step` has no checkpoint.
  Experiment model_at(int64_t step, bool with_task = true) const;

 private:
  std::string checkpoint_file(int64_t step) const;  // "" for step 0 without step_0.pt
  int64_t last_step() const;  // last.pt's step, -1 without one

  std::string path_;
  Spec spec_;
  std::string hash_;
};

}  // namespace phenom
