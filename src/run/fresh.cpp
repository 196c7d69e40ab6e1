// --fresh: what phenom wrote goes, what anybody else wrote stays.
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <vector>

#include "core/io.h"
#include "run/rundir.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

// step_<N>.pt, step_<N>.safetensors, last.pt, last.safetensors
bool checkpoint_name(const std::string& name) {
  for (const std::string ext : {".pt", ".safetensors"}) {
    if (name.size() <= ext.size() || name.compare(name.size() - ext.size(), ext.size(), ext) != 0) continue;
    const std::string stem = name.substr(0, name.size() - ext.size());
    if (stem == "last") return true;
    if (stem.rfind("step_", 0) == 0 && stem.size() > 5 && stem.find_first_not_of("0123456789", 5) == std::string::npos) {
      return true;
    }
  }
  return false;
}

// Removes the files in `folder` that phenom wrote, then the folder if that left it empty.
void remove_own(const fs::path& folder, const std::function<bool(const std::string&)>& phenom_wrote) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) return;
  std::vector<fs::path> own;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file(error) && (phenom_wrote(name) || is_temporary_file(name))) own.push_back(entry.path());
  }
  for (const auto& path : own) fs::remove(path, error);
  fs::remove(folder, error);  // only when empty
}

// The figures scripts/plot_common.py lists in plots/.phenom-files as it writes them.
std::set<std::string> listed_figures(const fs::path& plots) {
  std::set<std::string> names{".phenom-files"};
  std::ifstream in(plots / ".phenom-files");
  for (std::string line; std::getline(in, line);) if (!line.empty()) names.insert(line);
  return names;
}

std::string utc_stamp() {
  const std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", std::gmtime(&t));
  return text;
}

}  // namespace

std::string RunDir::clear() {
  metrics_.close();
  times_.close();
  for (const char* name : {"DONE", "summary.json", "metrics.jsonl", "times.jsonl", "metrics.csv", "meta.json", "log.txt",
                           "spec.yaml", "overrides.yaml"}) {
    fs::remove(file(name));
  }
  remove_own(file("checkpoints"), checkpoint_name);
  remove_own(file("tb"), is_phenom_event_file);
  const std::set<std::string> figures = listed_figures(file("plots"));
  remove_own(file("plots"), [&](const std::string& name) { return figures.count(name) > 0; });
  // An analysis directory (analyses/<name>-<hash8>/, with its analysis.yaml) is renamed so that
  // the run trained next gets its own; anything else in analyses/ is left as it is.
  std::string note;
  std::error_code error;
  std::vector<fs::path> analyses;
  for (const auto& entry : fs::directory_iterator(file("analyses"), error)) {
    if (entry.is_directory(error) && fs::exists(entry.path() / "analysis.yaml", error)) analyses.push_back(entry.path());
  }
  const std::string suffix = ".before-fresh-" + utc_stamp();
  for (const auto& path : analyses) {
    fs::rename(path, path.string() + suffix, error);
    if (!error) note = "the analyses of the replaced run are kept as " + file("analyses") + "/*" + suffix;
  }
  fs::create_directories(file("checkpoints"));
  return note;
}

}  // namespace phenom
