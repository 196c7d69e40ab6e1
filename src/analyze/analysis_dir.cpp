#include "analyze/analysis_dir.h"

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "core/error.h"
#include "core/io.h"

namespace fs = std::filesystem;

namespace phenom {

AnalysisLock::AnalysisLock(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw IoError("cannot create the analysis directory '" + dir + "': " + error.message());
  fd_ = try_lock_file(dir + "/.lock");
  if (fd_ < 0) {
    throw BadInput("another phenom analyze is writing '" + dir + "'. Fix: wait for it to finish (or stop it), then "
                   "run this command again: it adds only what is missing.");
  }
}

AnalysisLock::~AnalysisLock() {
  if (fd_ >= 0) ::close(fd_);
}

void repair_analysis_dir(const std::string& dir) {
  std::error_code error;
  std::vector<fs::path> temporaries;
  for (auto it = fs::recursive_directory_iterator(dir, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (it->is_regular_file(error) && is_temporary_file(it->path().filename().string())) {
      temporaries.push_back(it->path());
    }
  }
  for (const auto& t : temporaries) fs::remove(t, error);
  const std::string results = dir + "/results.jsonl";
  if (!fs::exists(results)) return;
  const std::string text = read_file(results);
  if (text.empty() || text.back() == '\n') return;
  const size_t last_whole = text.rfind('\n');
  fs::resize_file(results, last_whole == std::string::npos ? 0 : last_whole + 1, error);
  if (error) throw IoError("cannot cut the torn last row of '" + results + "': " + error.message());
}

}  // namespace phenom
