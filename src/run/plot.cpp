#include "run/plot.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace phenom {
namespace {

std::string python() {
  if (const char* p = std::getenv("PHENOM_PYTHON")) return p;
  // Debian's interpreter, where python3-matplotlib lives (a pyenv python3 on PATH may lack it).
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

std::string script() {
  if (const char* s = std::getenv("PHENOM_PLOT_SCRIPT")) return s;
  return std::string(PHENOM_SOURCE_DIR) + "/scripts/plot.py";
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; returns (exit status, output).
std::pair<int, std::string> capture(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, ""};
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  return {pclose(pipe), output};
}

}  // namespace

std::string plotting_unavailable_reason() {
  if (!std::filesystem::exists(script())) {
    return "the plot script " + script() + " is missing (set PHENOM_PLOT_SCRIPT to scripts/plot.py of a checkout)";
  }
  if (capture(quote(python()) + " -c 'import matplotlib'").first != 0) {
    return "matplotlib is not installed for " + python() + ". Fix: apt-get install python3-matplotlib";
  }
  return "";
}

std::string plot_run(const std::string& run_dir) {
  if (!std::filesystem::exists(run_dir + "/metrics.jsonl") && !std::filesystem::exists(run_dir + "/manifest.jsonl") &&
      !std::filesystem::exists(run_dir + "/protocol.yaml") && !std::filesystem::exists(run_dir + "/analysis.yaml")) {
    throw BadInput("'" + run_dir + "' is neither a run, a sweep, a protocol nor an analysis directory (no "
                   "metrics.jsonl, manifest.jsonl, protocol.yaml or analysis.yaml). Fix: pass the directory that "
                   "`phenom run`, `phenom sweep` or `phenom analyze` printed.");
  }
  if (std::string reason = plotting_unavailable_reason(); !reason.empty()) throw BadInput("cannot plot: " + reason);
  auto [status, output] = capture(quote(python()) + " " + quote(script()) + " " + quote(run_dir));
  if (status != 0) throw RunFailed("plotting failed: " + output);
  return output;
}

}  // namespace phenom
