#include "run/artifact.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/io.h"
#include "core/text.h"
#include "models/model.h"
#include "core/safetensors.h"
#include "run/init_from.h"
#include "run/rundir.h"
#include "tasks/activations_task.h"
#include "tasks/task.h"
#include "train/checkpoint.h"
#include "train/experiment.h"

namespace fs = std::filesystem;

namespace phenom {

const char* run_state_name(RunState s) {
  switch (s) {
    case RunState::kPending: return "pending";
    case RunState::kRunning: return "running";
    case RunState::kDone: return "done";
    case RunState::kInterrupted: return "interrupted";
    case RunState::kFailed: return "failed";
  }
  return "?";
}

bool RunArtifact::is_run(const std::string& path) { return fs::exists(path + "/spec.yaml"); }

RunState RunArtifact::state_of(const std::string& path) {
  if (fs::exists(path + "/DONE")) return RunState::kDone;
  if (!is_run(path)) return RunState::kPending;
  int fd = ::open((path + "/.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    const bool locked = flock(fd, LOCK_EX | LOCK_NB) != 0;
    ::close(fd);
    if (locked) return RunState::kRunning;
  }
  const std::string status = summary_of(path).value("status", "");
  if (status == "diverged" || status == "failed") return RunState::kFailed;
  return RunState::kInterrupted;
}

RunArtifact::RunArtifact(std::string path) : path_(std::move(path)) {
  while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
  if (!is_run(path_)) {
    throw BadInput("'" + path_ + "' is not a run directory (it has no spec.yaml). Fix: pass a directory that "
                   "`phenom run` wrote, e.g. runs/<name>/<hash8>.");
  }
  try {
    spec_ = load_spec(path_ + "/spec.yaml");
  } catch (const SpecError& e) {
    throw BadInput("the run '" + path_ + "' has a spec that does not validate under this version of phenom:\n" +
                   e.what() + "\nFix: rewrite those keys in " + path_ + "/spec.yaml as `phenom list` documents them "
                   "(the run keeps its hash when the values mean the same), or re-run the original spec.");
  }
  hash_ = phenom::spec_hash(spec_);
}

bool RunArtifact::done() const { return fs::exists(path_ + "/DONE"); }

RunArtifact::Json RunArtifact::summary_of(const std::string& path) {
  if (!fs::exists(path + "/summary.json")) return Json::object();
  try {
    Json s = Json::parse(read_file(path + "/summary.json"), nullptr, false);
    if (!s.is_object() || (s.contains("status") && !s["status"].is_string())) return Json::object();
    return s;  // a damaged summary reads as none: the run counts as unfinished
  } catch (const IoError&) {
    return Json::object();
  }
}

std::string RunArtifact::trained_hash() const {
  if (!fs::exists(path_ + "/meta.json")) return "";
  try {
    const Json meta = Json::parse(read_file(path_ + "/meta.json"), nullptr, false);
    return meta.is_object() && meta.contains("spec_hash") && meta["spec_hash"].is_string() ? meta["spec_hash"].get<std::string>() : "";
  } catch (const IoError&) {
    return "";
  }
}

MetricHistory RunArtifact::metrics() const { return RunDir(path_).read_metrics(); }

int64_t RunArtifact::last_step() const {
  const std::string last = RunDir(path_).last_checkpoint();
  return fs::exists(last) ? checkpoint_step(last) : -1;
}

std::vector<int64_t> RunArtifact::checkpoint_steps() const {
  std::vector<int64_t> steps{0};
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(path_ + "/checkpoints", ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step_", 0) != 0 || entry.path().extension() != ".pt") continue;
    const std::string digits = name.substr(5, name.size() - 8);
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos) {
      steps.push_back(std::stoll(digits));
    }
  }
  if (int64_t last = last_step(); last >= 0) steps.push_back(last);
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  return steps;
}

std::string RunArtifact::checkpoint_file(int64_t step) const {
  RunDir dir(path_);
  if (fs::exists(dir.checkpoint(step))) return dir.checkpoint(step);
  if (step == 0) return "";
  if (last_step() == step) return dir.last_checkpoint();
  std::vector<std::string> steps;
  for (int64_t s : checkpoint_steps()) steps.push_back(std::to_string(s));
  throw BadInput("the run '" + path_ + "' has no checkpoint at step " + std::to_string(step) +
                 "; it has steps " + join(steps) + ". Fix: pick one of those, or give the run a denser "
                 "train.checkpoint_every (e.g. {per_decade: 10}) and run it again.");
}

Experiment RunArtifact::model_at(int64_t step, bool with_task) const {
  const std::string file = checkpoint_file(step);  // before building: a wrong step costs nothing
  Experiment ex = build_experiment(spec_, with_task ? Parts::kTaskAndModel : Parts::kModel);
  if (!file.empty()) {
    load_weights(file, ex, hash_);
  } else {  // step 0 as the run started it: its init_from source's weights, then its mask
    apply_init_from(spec_, init_from_source(spec_), ex);
    if (!spec_.mask.empty()) {
      torch::NoGradGuard no_grad;
      auto named = ex.model->named_parameters();
      for (const auto& [name, mask] : read_safetensors(spec_.mask)) {
        if (torch::Tensor* p = named.find(name)) p->mul_(mask.to(p->options()));
      }
    }
  }
  ex.model->eval();
  return ex;
}

namespace {

// How components below the run floor open a saved run (tasks/activations.h).
const bool kSavedRunOpener = [] {
  saved_run_opener() = [](const std::string& dir, const std::string& step, bool with_task) {
    const RunArtifact run(dir);
    if (step == "last" && !run.done()) {
      throw BadInput("the run '" + dir + "' has not finished, so its last step is not fixed yet. Fix: let it finish "
                     "(phenom run on its spec), or name a step that has a checkpoint.");
    }
    const int64_t n = step == "last" ? run.checkpoint_steps().back() : std::stoll(step);
    Experiment ex = run.model_at(n, with_task);
    SavedSystem saved;
    saved.task = std::move(ex.task);
    saved.model = ex.model;
    saved.inputs = run.spec().task.options->inputs();
    saved.spec_hash = run.spec_hash();
    saved.loss = run.spec().train.loss;
    saved.step = n;
    saved.device = ex.device;
    return saved;
  };
  return true;
}();

}  // namespace

}  // namespace phenom
