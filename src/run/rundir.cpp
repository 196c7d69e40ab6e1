#include "run/rundir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/text.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

constexpr const char* kMarker = ".phenom-run";

// One row of times.jsonl: the step and the seconds of the run's own processes up to it.
std::string time_line(int64_t step, double wall_time) {
  char text[64];
  std::snprintf(text, sizeof(text), "{\"step\":%lld,\"wall_time\":%.3f}\n", static_cast<long long>(step), wall_time);
  return text;
}

}  // namespace

RunDir::~RunDir() {
  if (lock_ >= 0) ::close(lock_);  // releases the lock
}

bool RunDir::exists() const { return fs::exists(file("spec.yaml")); }
bool RunDir::done() const { return fs::exists(file("DONE")); }
bool RunDir::has_checkpoint() const { return fs::exists(last_checkpoint()); }

bool RunDir::is_phenom_run() const {
  // Runs written before the marker: phenom wrote spec.yaml and overrides.yaml first.
  return fs::exists(file(kMarker)) || (fs::exists(file("spec.yaml")) && fs::exists(file("overrides.yaml")));
}

bool RunDir::has_entries() const {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path_, error)) {
    // A lone lock, or with a temporary of the marker: a run killed as it began.
    const std::string name = entry.path().filename().string();
    if (name != ".lock" && name.rfind(std::string(kMarker) + ".tmp.", 0) != 0) return true;
  }
  return false;
}

std::string RunDir::stored_spec() const {
  if (!fs::exists(file("spec.yaml"))) return "";
  return read_file(file("spec.yaml"));
}

void RunDir::create_and_lock() {
  std::error_code error;
  fs::create_directories(path_, error);
  if (error || access(path_.c_str(), W_OK) != 0) {
    throw BadInput("cannot create or write the run directory '" + path_ + "'" +
                   (error ? " (" + error.message() + ")" : std::string(" (not writable)")) +
                   ". Fix: choose a writable location with --out DIR, or run from a writable directory.");
  }
  if (lock_ >= 0) return;
  lock_ = try_lock_file(file(".lock"));
  if (lock_ < 0) {
    throw BadInput("another phenom process is running '" + path_ + "'. Fix: wait for it to finish (or stop it), "
                   "or use another --out.");
  }
  // Owned from here on. Temporaries are per process: any left here are a killed writer's.
  for (const std::string& folder : {path_, path_ + "/checkpoints"}) {
    for (const auto& entry : fs::directory_iterator(folder, error)) {
      if (is_temporary_file(entry.path().filename().string())) fs::remove(entry.path(), error);
    }
  }
  // The marker first, then the rest.
  write(kMarker, "a run directory written by phenom; `phenom run --fresh` may replace what is in it\n");
  fs::create_directories(path_ + "/checkpoints", error);
  if (error) throw IoError("cannot create '" + path_ + "/checkpoints': " + error.message());
}

void RunDir::prepare(const std::string& resolved_spec, const std::string& overrides_yaml) {
  write("spec.yaml", resolved_spec);
  write("overrides.yaml", overrides_yaml);
}

MetricHistory RunDir::read_metrics() const {
  MetricHistory history;
  std::ifstream in(file("metrics.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    MetricRow row;
    if (MetricHistory::parse_jsonl_line(line, row)) history.append(row);
  }
  return history;
}

void RunDir::enable_tensorboard(const std::string& spec_text, std::vector<std::pair<std::string, std::string>> hparams) {
  tensorboard_.configure(file("tb"), spec_text, std::move(hparams));
}

void RunDir::rewrite_metrics(const MetricHistory& history) {
  metrics_.close();
  times_.close();
  std::string text;
  for (const auto& row : history.rows()) text += history.jsonl_line(row);
  write("metrics.jsonl", text);
  tensorboard_.rewrite(history);
  // times.jsonl: the last time recorded for each kept step (a step redone after a kill appears twice).
  std::map<int64_t, double> recorded;
  std::ifstream in(file("times.jsonl"));
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("step") && j["step"].is_number_integer() && j.contains("wall_time") &&
        j["wall_time"].is_number()) {
      recorded[j["step"].get<int64_t>()] = j["wall_time"].get<double>();
    }
  }
  std::string times;
  time_offset_ = 0;
  for (const auto& row : history.rows()) {
    const auto found = recorded.find(row.step);
    if (found == recorded.end()) continue;
    times += time_line(row.step, found->second);
    time_offset_ = found->second;
  }
  write("times.jsonl", times);
  clock_start_ = wall_clock_seconds();
}

void RunDir::open_metrics() {
  metrics_.open(file("metrics.jsonl"));
  times_.open(file("times.jsonl"));
}

void RunDir::append_metrics(const MetricRow& row, const std::string& line) {
  open_metrics();
  metrics_.append(line);  // one write(2) per row: a killed process loses nothing already logged
  if (clock_start_ == 0) clock_start_ = wall_clock_seconds();
  times_.append(time_line(row.step, time_offset_ + wall_clock_seconds() - clock_start_));
  tensorboard_.row(row);
}

void RunDir::sync_metrics() {
  metrics_.sync();
  times_.sync();
}

void RunDir::close_metrics() {
  metrics_.close();
  times_.close();
  tensorboard_.close();
}

void RunDir::write(const std::string& name, const std::string& content) { write_file_atomic(file(name), content); }

}  // namespace phenom
