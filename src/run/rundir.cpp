#include "run/rundir.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/text.h"

namespace fs = std::filesystem;

namespace phenom {

bool RunDir::exists() const { return fs::exists(file("spec.yaml")); }
bool RunDir::done() const { return fs::exists(file("DONE")); }
bool RunDir::has_checkpoint() const { return fs::exists(last_checkpoint()); }

std::string RunDir::stored_spec() const {
  if (!fs::exists(file("spec.yaml"))) return "";
  return read_file(file("spec.yaml"));
}

void RunDir::prepare(const std::string& resolved_spec, const std::string& overrides_yaml) {
  std::error_code error;
  fs::create_directories(path_ + "/checkpoints", error);
  if (error || access(path_.c_str(), W_OK) != 0) {
    throw BadInput("cannot create or write the run directory '" + path_ + "'" +
                   (error ? " (" + error.message() + ")" : std::string(" (not writable)")) +
                   ". Fix: choose a writable location with --out DIR, or run from a writable directory.");
  }
  write("spec.yaml", resolved_spec);
  write("overrides.yaml", overrides_yaml);
}

void RunDir::clear() {
  close_metrics();
  for (const char* name : {".lock", "DONE", "summary.json", "metrics.jsonl", "metrics.csv", "meta.json", "log.txt",
                           "spec.yaml", "overrides.yaml"}) {
    fs::remove(file(name));
  }
  fs::remove_all(file("checkpoints"));
  fs::remove_all(file("plots"));
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

void RunDir::rewrite_metrics(const MetricHistory& history) {
  close_metrics();
  std::string text;
  for (const auto& row : history.rows()) text += history.jsonl_line(row);
  write("metrics.jsonl", text);
}

void RunDir::open_metrics() {
  if (metrics_) return;
  metrics_ = std::fopen(file("metrics.jsonl").c_str(), "a");
  if (!metrics_) {
    throw BadInput("cannot append to '" + file("metrics.jsonl") + "': " + std::strerror(errno) + ".");
  }
}

void RunDir::append_metrics(const std::string& line) {
  open_metrics();
  std::fwrite(line.data(), 1, line.size(), metrics_);
  std::fflush(metrics_);  // a killed process loses nothing already logged
}

void RunDir::sync_metrics() {
  if (metrics_) {
    std::fflush(metrics_);
    ::fsync(fileno(metrics_));
  }
}

void RunDir::close_metrics() {
  if (metrics_) {
    std::fclose(metrics_);
    metrics_ = nullptr;
  }
}

void RunDir::write(const std::string& name, const std::string& content) { write_file_atomic(file(name), content); }

}  // namespace phenom
