#include "run/resume.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "run/console.h"
#include "run/rundir.h"
#include "train/checkpoint.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

// last.pt, then checkpoints/step_<N>.pt from the newest.
std::vector<std::string> candidates(const RunDir& dir) {
  std::vector<std::pair<int64_t, std::string>> numbered;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(dir.file("checkpoints"), ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step_", 0) != 0 || entry.path().extension() != ".pt") continue;
    const std::string digits = name.substr(5, name.size() - 8);
    if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    numbered.emplace_back(std::stoll(digits), entry.path().string());
  }
  std::sort(numbered.rbegin(), numbered.rend());
  std::vector<std::string> out;
  if (fs::exists(dir.last_checkpoint())) out.push_back(dir.last_checkpoint());
  for (const auto& [step, path] : numbered) out.push_back(path);
  return out;
}

}  // namespace

bool has_checkpoints(const RunDir& dir) { return !candidates(dir).empty(); }

ResumePoint choose_resume_point(const RunDir& dir, Console& console) {
  const MetricHistory on_disk = dir.read_metrics();
  std::vector<std::string> rejected;
  for (const std::string& path : candidates(dir)) {
    CheckpointInfo info;
    try {
      info = checkpoint_info(path);
    } catch (const CorruptCheckpoint& e) {
      rejected.push_back(e.what());
      console.warn(rejected.back());
      continue;
    }
    MetricHistory history = on_disk;
    history.truncate_after(info.step);
    int64_t present = 0;
    for (const auto& row : history.rows()) present += row.step <= info.step ? 1 : 0;
    if (info.metrics_rows >= 0 && present != info.metrics_rows) {
      rejected.push_back("checkpoint '" + path + "' (step " + std::to_string(info.step) + ") vouches for " +
                         std::to_string(info.metrics_rows) + " rows of metrics.jsonl, which has " +
                         std::to_string(present) + " up to that step: rows were lost or added");
      console.warn(rejected.back() + "; trying an earlier checkpoint.");
      continue;
    }
    if (!rejected.empty()) {
      console.warn("resuming from the intact checkpoint '" + path + "' at step " + std::to_string(info.step) +
                   " instead; the steps after it are trained again.");
    }
    return {path, info.step, std::move(history)};
  }
  std::string reasons;
  for (const auto& r : rejected) reasons += "\n  " + r;
  throw BadInput("the run '" + dir.path() + "' has no checkpoint to resume from:" + reasons +
                 "\nFix: start over with --fresh (the damaged files are then replaced).");
}

}  // namespace phenom
