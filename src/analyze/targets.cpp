#include "analyze/targets.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/text.h"
#include "run/artifact.h"

namespace fs = std::filesystem;

namespace phenom {

using Json = nlohmann::ordered_json;

std::vector<std::string> target_runs(const std::string& target) {
  if (RunArtifact::is_run(target)) return {target};
  if (fs::exists(target + "/protocol.yaml")) {
    std::vector<std::string> runs;
    for (const auto& entry : fs::directory_iterator(target)) {
      if (entry.is_directory() && RunArtifact::is_run(entry.path().string())) runs.push_back(entry.path().string());
    }
    std::sort(runs.begin(), runs.end());
    return runs;
  }
  if (fs::exists(target + "/manifest.jsonl")) {
    std::vector<std::string> runs;
    std::ifstream in(target + "/manifest.jsonl");
    for (std::string line; std::getline(in, line);) {
      const Json job = Json::parse(line, nullptr, false);
      if (!job.is_discarded() && job.contains("run_dir")) runs.push_back(job["run_dir"].get<std::string>());
    }
    return runs;
  }
  throw BadInput("'" + target + "' is neither a run directory (no spec.yaml), a sweep directory (no manifest.jsonl) "
                 "nor a protocol directory (no protocol.yaml). Fix: pass a directory that `phenom run` or `phenom sweep` "
                 "wrote.");
}

std::vector<int64_t> chosen_steps(const RunArtifact& run, const std::string& steps) {
  const std::vector<int64_t> have = run.checkpoint_steps();
  if (steps == "all") return have;
  if (steps == "last") return {have.back()};
  std::vector<int64_t> out;
  for (size_t start = 0; start <= steps.size();) {
    const size_t comma = std::min(steps.find(',', start), steps.size());
    const int64_t step = std::stoll(steps.substr(start, comma - start));
    if (std::find(have.begin(), have.end(), step) == have.end()) {
      std::vector<std::string> names;
      for (int64_t s : have) names.push_back(std::to_string(s));
      throw BadInput("the run '" + run.path() + "' has no checkpoint at step " + std::to_string(step) +
                     "; it has steps " + join(names) + ". Fix: choose among those (--steps " + names.back() +
                     "), or give the run a denser train.checkpoint_every.");
    }
    out.push_back(step);
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace phenom
